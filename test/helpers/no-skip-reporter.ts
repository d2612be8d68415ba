/**
 * A vitest reporter that fails the run when any test was skipped or left as todo. In CI nothing
 * may skip: a test that skips because a peer is missing is a hidden failure.
 */
import type { Reporter, TestModule } from 'vitest/node'

export default class NoSkipReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const skipped: string[] = []
    for (const mod of testModules) {
      for (const t of mod.children.allTests()) {
        const state = t.result().state
        if (state === 'skipped') skipped.push(`${mod.moduleId} > ${t.fullName}`)
      }
    }
    if (skipped.length > 0) {
      console.error(`\nno-skip: ${skipped.length} test(s) skipped; nothing may skip in CI:`)
      for (const s of skipped) console.error(`  - ${s}`)
      process.exitCode = 1
    }
  }
}
