/**
 * The benchmark's baseline: a grpc-js `envoy.service.auth.v3.Authorization/Check` server loading
 * our own proto subset, answering every Check with OK at once. Run as a separate process by
 * bench/run.ts (IPC channel): it sends `{type:'ready', port}` once bound, and answers
 * `{type:'count'}` with the number of Checks it has answered, so the bench can prove the load
 * reached the handler (a wrong path would be a 200 with grpc-status 12 that h2load counts as success).
 *
 * @module
 */
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js'
import { loadProtos } from '../src/request/load-protos.js'

const pkg = loadProtos()
const definition = pkg['envoy.service.auth.v3.Authorization'] as unknown as ServiceDefinition
// Same message-size option as the real server, so both decode under the same limits.
const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 })
let answered = 0
const OK = { status: { code: 0 }, ok_response: {} }
server.addService(definition, {
  Check: (_call: unknown, callback: (err: null, res: typeof OK) => void) => {
    answered++
    callback(null, OK)
  },
})

const send = (msg: object): void => {
  if (process.send) process.send(msg)
  else process.stdout.write(`${JSON.stringify(msg)}\n`)
}

server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`do-nothing-server: bind failed: ${err.message}\n`)
    process.exit(1)
  }
  send({ type: 'ready', port })
})

process.on('message', (msg: unknown) => {
  if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'count') {
    send({ type: 'count', checks: answered })
  }
})
process.on('disconnect', () => process.exit(0))
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    server.forceShutdown()
    process.exit(0)
  })
}
