/**
 * `npm start`: the quick start in one command — the demo authorizer endpoints the quick-start
 * manifests point at, then `portcullis serve --config examples/quickstart` on the default ports,
 * with the STS endpoint on 9003.
 */
import { spawn } from 'node:child_process'
import { startDemoTokenAuthorizer } from './token-authorizer.js'
import { startDemoIssuer } from './oidc-issuer.js'

const authorizer = await startDemoTokenAuthorizer(9101)
console.error(`demo TOKEN authorizer on http://127.0.0.1:${authorizer.port}/`)
const issuer = await startDemoIssuer(9102)
console.error(`demo OpenID provider on ${issuer.issuer} (client petstore-client / demo-secret)`)

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'src/main.ts',
    'serve',
    '--config',
    'examples/quickstart',
    // The STS endpoint, with demo session keys (generate your own for anything else).
    '--sts-port',
    '9003',
    '--sts-key-file',
    'examples/demo/sts-keys.json',
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
  },
)
const stop = (): void => {
  child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
child.on('exit', (code) => {
  authorizer.close()
  issuer.close()
  process.exit(code ?? 0)
})
