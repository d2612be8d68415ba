/**
 * Lambda authorizers have no URL Portcullis can call: the function must be served over HTTP (a
 * Lambda runtime-interface emulator works). The importer writes a placeholder under `.invalid` (a
 * name that never resolves, RFC 6761) naming the function, so an unfilled placeholder fails closed
 * (the authorizer errors) instead of calling a wrong URL.
 *
 * @module
 */
import { toObjectName } from './json-shape.js'

/** The Lambda function an authorizer URI names, as well as the raw (unresolved) value shows it. */
export function lambdaFunctionName(rawUri: unknown): string | undefined {
  const text = JSON.stringify(rawUri) ?? ''
  const patterns = [
    /:function:([A-Za-z0-9_-]+)/, // arn:aws:lambda:...:function:NAME
    /\$\{([A-Za-z0-9]+)\.Arn\}/, // !Sub ...${MyFunction.Arn}...
    /"Fn::GetAtt":\s*\[\s*"([A-Za-z0-9]+)"/, // !GetAtt MyFunction.Arn
    /"Ref":\s*"([A-Za-z0-9]+)"/, // !Ref MyFunctionArnParameter
    /\$\{([A-Za-z0-9]+)\}/, // !Sub ...${FunctionArnParameter}...
  ]
  for (const p of patterns) {
    const m = p.exec(text)
    if (m?.[1] !== undefined && !m[1].startsWith('AWS')) return m[1]
  }
  return undefined
}

export function authorizerUriPlaceholder(functionName: string | undefined): string {
  const label = toObjectName(functionName ?? 'lambda-authorizer', 58).replace(/\./g, '-')
  return `http://TODO-${label}.invalid/`
}
