/**
 * `portcullis` command line bound to the process: its argv, streams and exit code. No logic lives
 * here.
 *
 * @module
 */
import { runCli } from './cli/run-cli.js'

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
})
