/**
 * STS's Query API answers in XML (namespace `https://sts.amazonaws.com/doc/2011-06-15/`): the
 * `AssumeRoleWithWebIdentityResponse` and the `ErrorResponse`, in the shapes the AWS SDKs parse.
 *
 * @module
 */
import type { AssumedRole } from './assume-role-with-web-identity.js'
import type { StsError } from './sts-errors.js'

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/'

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** `2011-06-15T00:00:00Z`: STS prints times without milliseconds. */
export function stsTimestamp(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function assumeRoleWithWebIdentityXml(r: AssumedRole, requestId: string): string {
  const c = r.session.claims
  return (
    `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">\n` +
    `  <AssumeRoleWithWebIdentityResult>\n` +
    `    <SubjectFromWebIdentityToken>${xmlEscape(c.subject)}</SubjectFromWebIdentityToken>\n` +
    `    <Audience>${xmlEscape(c.audience)}</Audience>\n` +
    `    <AssumedRoleUser>\n` +
    `      <Arn>${xmlEscape(r.assumedRoleArn)}</Arn>\n` +
    `      <AssumedRoleId>${xmlEscape(r.assumedRoleId)}</AssumedRoleId>\n` +
    `    </AssumedRoleUser>\n` +
    `    <Credentials>\n` +
    `      <AccessKeyId>${r.session.accessKeyId}</AccessKeyId>\n` +
    `      <SecretAccessKey>${xmlEscape(r.session.secretAccessKey)}</SecretAccessKey>\n` +
    `      <SessionToken>${r.session.sessionToken}</SessionToken>\n` +
    `      <Expiration>${stsTimestamp(c.expiresAt)}</Expiration>\n` +
    `    </Credentials>\n` +
    `    <Provider>${xmlEscape(c.provider)}</Provider>\n` +
    `  </AssumeRoleWithWebIdentityResult>\n` +
    `  <ResponseMetadata>\n` +
    `    <RequestId>${requestId}</RequestId>\n` +
    `  </ResponseMetadata>\n` +
    `</AssumeRoleWithWebIdentityResponse>\n`
  )
}

export function stsErrorXml(e: StsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${NS}">\n` +
    `  <Error>\n` +
    `    <Type>${e.type}</Type>\n` +
    `    <Code>${e.code}</Code>\n` +
    `    <Message>${xmlEscape(e.message)}</Message>\n` +
    `  </Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n` +
    `</ErrorResponse>\n`
  )
}
