#!/usr/bin/env node
// Entry point for the `portcullis` command. In a source checkout (src/ present) it runs the
// TypeScript source through tsx, so it can never run a stale build; in a packaged install or the
// container image (dist/ only) it runs the compiled build.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

// The oldest Node line package.json's `engines` admits. Started on an older one (e.g. straight from
// a shell whose system Node is older than the one npm scripts use), say so instead of failing later
// in a dependency with an obscure error.
const MIN_NODE_MAJOR = 24
const major = Number(process.versions.node.split('.')[0])
if (major < MIN_NODE_MAJOR) {
  process.stderr.write(
    `portcullis: needs Node.js ${MIN_NODE_MAJOR} or later, this is ${process.version} (${process.execPath}); ` +
      'in a source checkout run it through npm (`npx portcullis ...`), which uses the Node package.json pins\n',
  )
  process.exit(2)
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'src', 'main.ts')
const built = join(root, 'dist', 'main.js')
if (existsSync(source) && process.env.PORTCULLIS_USE_DIST !== '1') {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(source).href)
} else {
  await import(pathToFileURL(built).href)
}
