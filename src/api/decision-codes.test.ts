import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ALLOW_CODES,
  CODE_SECTIONS,
  DECISION_CODES,
  PROBLEM_CODES,
  isDecisionCode,
  statusesOf,
} from './decision-codes.js'

const SRC = resolve(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : []
  })
}

describe('the decision code list', () => {
  it('every ERR_/ALLOW_ string literal in src/ (tests aside) is a listed code', () => {
    const unlisted: string[] = []
    const files = sourceFiles(SRC)
    expect(files.length).toBeGreaterThan(100)
    let seen = 0
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/['"`]((?:ERR|ALLOW)_[A-Z0-9][A-Z0-9_]*)['"`]/g)) {
        seen++
        const name = m[1] ?? ''
        if (!isDecisionCode(name) && !Object.hasOwn(PROBLEM_CODES, name)) {
          unlisted.push(`${relative(SRC, file)}: ${name}`)
        }
      }
    }
    expect(seen).toBeGreaterThan(80)
    expect(unlisted).toEqual([])
  })

  it('sections do not overlap, so no code is listed twice with different meanings', () => {
    const names = CODE_SECTIONS.flatMap((s) => Object.keys(s.codes))
    expect(new Set(names).size).toBe(names.length)
    expect(names.sort()).toEqual(Object.keys(DECISION_CODES).sort())
    for (const name of Object.keys(PROBLEM_CODES)) expect(isDecisionCode(name)).toBe(false)
  })

  it('allow codes go out with 200, deny codes with a 4xx or 5xx, names fit a metric label', () => {
    for (const [name, spec] of Object.entries(DECISION_CODES)) {
      expect(name).toMatch(/^(ALLOW|ERR)_[A-Z0-9_]{1,58}[A-Z0-9]$/)
      expect(spec.meaning.length).toBeGreaterThan(10)
      expect(spec.meaning).not.toMatch(/\n/)
      const statuses = statusesOf(name)
      expect(statuses.length).toBeGreaterThan(0)
      if (Object.hasOwn(ALLOW_CODES, name)) {
        expect(name.startsWith('ALLOW_')).toBe(true)
        expect(statuses).toEqual([200])
      } else {
        expect(name.startsWith('ERR_')).toBe(true)
        for (const s of statuses) expect(s >= 400 && s <= 599).toBe(true)
      }
    }
  })

  it('a string that is no code (prototype keys included) is not a decision code', () => {
    for (const s of ['', 'ERR_', 'ALLOW_', 'err_internal', 'constructor', '__proto__', 'ERR_X']) {
      expect(isDecisionCode(s)).toBe(false)
      expect(statusesOf(s)).toEqual([])
    }
    expect(statusesOf('ERR_JWT_SCOPE_MISMATCH')).toEqual([401, 403])
  })
})
