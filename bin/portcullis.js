#!/usr/bin/env node
// Entry point for the `portcullis` command. In a source checkout (src/ present) it runs the
// TypeScript source through tsx, so it can never run a stale build; in a packaged install or the
// container image (dist/ only) it runs the compiled build.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

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
