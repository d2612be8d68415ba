import { describe, expect, it } from 'vitest'
import {
  cognitoIssuerFromProviderArn,
  cognitoJwksUri,
  compileCognitoConfigs,
  oidcDiscoveryUri,
  validateJwtAuthorizerConfig,
  type JwtAuthorizerConfig,
} from './jwt-authorizer-config.js'

describe('cognitoIssuerFromProviderArn', () => {
  it('derives the Cognito issuer URL from a user pool ARN', () => {
    expect(
      cognitoIssuerFromProviderArn(
        'arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_AbCdEf123',
      ),
    ).toBe('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123')
    expect(
      cognitoIssuerFromProviderArn(
        'arn:aws-cn:cognito-idp:cn-north-1:111122223333:userpool/cn-north-1_Xy1',
      ),
    ).toBe('https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_Xy1')
  })

  it.each([
    ['not an ARN', 'us-east-1_AbCdEf123'],
    ['wrong service', 'arn:aws:iam::111122223333:userpool/us-east-1_AbC'],
    [
      'pool from another region',
      'arn:aws:cognito-idp:us-east-1:111122223333:userpool/eu-west-1_AbC',
    ],
    ['short account', 'arn:aws:cognito-idp:us-east-1:1111:userpool/us-east-1_AbC'],
    ['identity pool', 'arn:aws:cognito-identity:us-east-1:111122223333:identitypool/us-east-1:x'],
    ['path injection', 'arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_AbC/../x'],
    ['trailing newline', 'arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_AbC\n'],
  ])('rejects %s', (_name, arn) => {
    expect(cognitoIssuerFromProviderArn(arn)).toBeInstanceOf(Error)
  })

  it('builds the well-known URLs without double slashes', () => {
    expect(cognitoJwksUri('https://i.example/p/')).toBe('https://i.example/p/.well-known/jwks.json')
    expect(oidcDiscoveryUri('https://i.example')).toBe(
      'https://i.example/.well-known/openid-configuration',
    )
  })
})

describe('validateJwtAuthorizerConfig / compileCognitoConfigs', () => {
  const base: JwtAuthorizerConfig = {
    id: 'shop/oidc',
    type: 'JWT',
    issuer: 'https://issuer.example',
    jwksUri: undefined,
    audiences: ['petstore'],
    identityHeader: 'authorization',
    clockSkewSeconds: 60,
  }

  it('accepts a complete JWT config and names each problem of a broken one', () => {
    expect(validateJwtAuthorizerConfig(base)).toEqual([])
    const problems = validateJwtAuthorizerConfig({
      ...base,
      issuer: 'ftp://x',
      jwksUri: 'not a url',
      audiences: [],
      identityHeader: 'Authorization',
      clockSkewSeconds: -1,
    })
    expect(problems).toHaveLength(5)
  })

  it('compiles one config per user pool, sharing clientIds and the jwksUri override', () => {
    const configs = compileCognitoConfigs({
      id: 'shop/users',
      providerARNs: [
        'arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_A1',
        'arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_B2',
      ],
      clientIds: ['c1'],
    })
    expect(configs).toEqual([
      expect.objectContaining({
        issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A1',
        audiences: ['c1'],
        clockSkewSeconds: 60,
        identityHeader: 'authorization',
        jwksUri: undefined,
      }),
      expect.objectContaining({
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_B2',
      }),
    ])
    expect(compileCognitoConfigs({ id: 'x/y', providerARNs: [] })).toBeInstanceOf(Error)
    expect(compileCognitoConfigs({ id: 'x/y', providerARNs: ['bad'] })).toBeInstanceOf(Error)
  })
})
