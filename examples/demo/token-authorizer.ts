/**
 * A demo TOKEN authorizer endpoint for the quick start, written like AWS's Lambda authorizer
 * blueprint: `Bearer allow` → Allow on the whole API, `Bearer deny` → explicit Deny, anything else
 * → Unauthorized (HTTP 401). Portcullis POSTs AWS's authorizer event to it as JSON.
 */
import { createServer } from 'node:http'

export function startDemoTokenAuthorizer(
  port: number,
  host = '127.0.0.1',
): Promise<{ port: number; close(): void }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let event: { authorizationToken?: string; methodArn?: string }
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof event
      } catch {
        res.writeHead(400).end()
        return
      }
      const token = event.authorizationToken ?? ''
      const arn = event.methodArn ?? ''
      // Grant the whole API (every stage, verb and path), so a cached answer serves every method.
      const apiArn = arn.split('/')[0] ?? arn
      const policy = (effect: 'Allow' | 'Deny') => ({
        principalId: 'demo-user',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: `${apiArn}/*` }],
        },
        context: { tier: 'gold', quota: 100, verified: true },
      })
      res.setHeader('content-type', 'application/json')
      if (token === 'Bearer allow') res.end(JSON.stringify(policy('Allow')))
      else if (token === 'Bearer deny') res.end(JSON.stringify(policy('Deny')))
      else res.writeHead(401).end(JSON.stringify({ message: 'Unauthorized' }))
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const addr = server.address()
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => server.close(),
      })
    })
  })
}
