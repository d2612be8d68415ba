// The reference pages under docs/reference are generated from the code (kinds from the TypeBox
// schemas, metrics from the registry, flags from the CLI specs). These tests regenerate them in
// memory and fail on any drift (run `npm run gen:docs` and commit the result). They also check
// that the repository is self-contained: no file points at a document beside it (users do not have
// those), and no relative link of the user documentation is dead.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DECISION_CODES, PROBLEM_CODES } from '../../src/api/decision-codes.js'
import { KINDS } from '../../src/api/v1alpha1/kinds.js'
import { CHECK_FLAGS } from '../../src/cli/check.js'
import { IMPORT_FLAGS } from '../../src/cli/import.js'
import { SERVE_FLAGS } from '../../src/cli/serve.js'
import { VALIDATE_FLAGS } from '../../src/cli/validate.js'
import { Metrics } from '../../src/observability/metrics.js'
import { DOCS_REFERENCE_DIR, renderDocs } from '../../scripts/gen-docs.js'

const ROOT = resolve(import.meta.dirname, '..', '..')

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

const expected = await renderDocs()

describe('generated reference pages are in sync with the code', () => {
  it('docs/reference holds exactly the generated pages (nothing hand-written to go stale)', () => {
    const committed = readdirSync(DOCS_REFERENCE_DIR).sort()
    expect(committed).toEqual([...expected.keys()].sort())
  })

  for (const [name, text] of expected) {
    it(`docs/reference/${name} matches the generator output byte for byte`, () => {
      expect(readFileSync(join(DOCS_REFERENCE_DIR, name), 'utf8')).toBe(text)
    })
  }

  it('cli.md names every flag of every subcommand, with its environment variable', () => {
    const cli = expected.get('cli.md') ?? ''
    const flags = [SERVE_FLAGS, CHECK_FLAGS, VALIDATE_FLAGS, IMPORT_FLAGS].flatMap((spec) =>
      Object.keys(spec),
    )
    expect(flags.length).toBeGreaterThan(20)
    for (const flag of flags) {
      expect(cli).toContain(`\`--${flag}`)
      expect(cli).toContain(`PORTCULLIS_${flag.replace(/-/g, '_').toUpperCase()}`)
    }
  })

  it('metrics.md lists every metric of the registry', () => {
    const page = expected.get('metrics.md') ?? ''
    const names = new Metrics({ defaultMetrics: false }).registry
      .getMetricsAsArray()
      .map((m) => (m as unknown as { name: string }).name)
    expect(names).toContain('portcullis_check_requests_total')
    for (const name of names) expect(page).toContain(`\`${name}\``)
  })

  it('codes.md lists every decision and problem code once, with its status', () => {
    const page = expected.get('codes.md') ?? ''
    for (const [name, spec] of Object.entries(DECISION_CODES)) {
      const status = typeof spec.status === 'number' ? String(spec.status) : spec.status.join(', ')
      expect(page).toMatch(new RegExp(`\\| \`${name}\` +\\| ${status} +\\|`))
    }
    for (const name of Object.keys(PROBLEM_CODES)) expect(page).toContain(`\`${name}\``)
  })

  it('kinds.md has a section for every kind', () => {
    const page = expected.get('kinds.md') ?? ''
    for (const kind of KINDS) expect(page).toContain(`\n## ${kind}\n`)
  })
})

/** The documents users read: their relative links must resolve inside the repository. */
const USER_DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...['docs', 'deploy', 'charts'].flatMap((d) =>
    filesUnder(join(ROOT, d)).map((f) => relative(ROOT, f)),
  ),
].filter((f) => existsSync(join(ROOT, f)))

describe('user documentation links stay inside the repository', () => {
  it('covers the documents it means to (README, docs/, deploy/, charts/)', () => {
    expect(USER_DOCS).toContain('README.md')
    expect(USER_DOCS).toContain('docs/README.md')
    expect(USER_DOCS.some((f) => f.startsWith('deploy/'))).toBe(true)
    expect(USER_DOCS.some((f) => f.startsWith('charts/'))).toBe(true)
  })

  // A code the docs name must exist: `ERR_SIGV4_*` style families are fine, a typo or a code
  // renamed in the list is not.
  for (const file of USER_DOCS) {
    it(`${file} names only listed reason codes`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8')
      const unknown = [...text.matchAll(/\b(?:ERR|ALLOW)_[A-Z0-9_]*[A-Z0-9]\b(?![_*])/g)]
        .map((m) => m[0])
        .filter((c) => !Object.hasOwn(DECISION_CODES, c) && !Object.hasOwn(PROBLEM_CODES, c))
      expect(unknown).toEqual([])
    })
  }

  const markdown = USER_DOCS.filter((f) => f.endsWith('.md'))
  for (const file of markdown) {
    it(`${file}: every relative link resolves to a file inside the repository`, () => {
      // Code (fenced blocks, inline spans) is not prose: regex patterns there look like links.
      const text = readFileSync(join(ROOT, file), 'utf8')
        .replace(/^```[\s\S]*?^```/gm, '')
        .replace(/`[^`\n]*`/g, '')
      const broken: string[] = []
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] ?? '').split('#')[0] ?? ''
        if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue
        const path = resolve(dirname(join(ROOT, file)), decodeURI(target))
        if (!path.startsWith(`${ROOT}/`) || !existsSync(path)) broken.push(m[1] ?? '')
      }
      expect(broken).toEqual([])
    })
  }
})

// self-containment patterns: begin (the only text of the repository exempt from the scan below)
/** Documents users of the repository do not have: the design notes and material beside it. */
const OUTSIDE: readonly RegExp[] = [
  /\.\.\/shared\b/,
  /\bDESIGN\.md\b/,
  /\bDESIGN §/,
  /aws-access-semantics/,
  /anchor-systems/,
  /\bSTYLE\.md\b/,
  /\breference (doc )?§/i,
]
/**
 * The one allowance: test code reads third-party test data (the AWS SigV4 suite) from
 * `../shared/testdata` at test time, because that data may not be copied into the repository.
 * Only that exact path, and only in test code; any other `../shared` path still fails.
 */
const TEST_DATA_PATH = /\.\.\/shared\/testdata(?![\w.-])/g
/** Text the check must catch anywhere, test code included: one per pattern, and near misses. */
const MUST_CATCH = [
  'see ../shared/reference/x',
  "'../shared/testdata2/x'",
  'DESIGN.md',
  'DESIGN §4',
  'aws-access-semantics',
  'anchor-systems.md',
  'STYLE.md',
  '(reference §0.8)',
  'Reference doc §3.4',
]
// self-containment patterns: end
const PATTERNS_BEGIN = '// self-containment patterns: begin'
const PATTERNS_END = '// self-containment patterns: end'
const THIS_FILE = relative(ROOT, import.meta.filename)

function isTestCode(file: string): boolean {
  return /^test\/.*\.[cm]?[jt]s$/.test(file) || /\.test\.[cm]?[jt]s$/.test(file)
}

/** `file:line: match` for every pointer outside the repository in `text`. */
function outsidePointers(file: string, text: string): string[] {
  const hits: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = isTestCode(file) ? raw.replace(TEST_DATA_PATH, '') : raw
    for (const re of OUTSIDE) {
      const m = re.exec(line)
      if (m !== null) hits.push(`${file}:${i + 1}: ${m[0]}`)
    }
  })
  return hits
}

/** This file without its pattern block, blanked line for line so reported lines stay right. */
function withoutPatternBlock(text: string): string {
  const begin = text.indexOf(`\n${PATTERNS_BEGIN}`)
  const end = text.indexOf(`\n${PATTERNS_END}`)
  if (begin < 0 || end < begin) return text
  const block = text.slice(begin, end)
  return text.slice(0, begin) + block.replace(/[^\n]/g, '') + text.slice(end)
}

/** Every tracked file (and every new one git does not ignore), as git lists them. */
function repositoryFiles(): string[] {
  const out = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  return [...new Set(out.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f))))]
}

describe('the whole repository is self-contained', () => {
  const files = repositoryFiles()

  it('scans every file git lists, this one included', () => {
    expect(files.length).toBeGreaterThan(300)
    for (const f of ['README.md', 'src/decision/decide.ts', 'package.json', THIS_FILE]) {
      expect(files).toContain(f)
    }
    for (const dir of ['src/', 'test/', 'bench/', 'scripts/', 'examples/', 'deploy/', 'charts/']) {
      expect(files.some((f) => f.startsWith(dir))).toBe(true)
    }
  })

  it('exempts only its own short pattern block', () => {
    const text = readFileSync(import.meta.filename, 'utf8')
    const lines = text.split('\n')
    const begin = lines.findIndex((l) => l.startsWith(PATTERNS_BEGIN))
    const end = lines.findIndex((l) => l.startsWith(PATTERNS_END))
    expect(begin).toBeGreaterThan(0)
    expect(lines.filter((l) => l.startsWith(PATTERNS_BEGIN))).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith(PATTERNS_END))).toHaveLength(1)
    expect(end - begin).toBeGreaterThan(0)
    expect(end - begin).toBeLessThan(40)
  })

  it('the check catches each pattern, and allows the test-data path only in test code', () => {
    expect(MUST_CATCH.length).toBeGreaterThan(OUTSIDE.length)
    for (const sample of MUST_CATCH) {
      expect(outsidePointers('src/a.ts', sample)).toHaveLength(1)
      expect(outsidePointers('test/a.test.ts', sample)).toHaveLength(1)
    }
    const testData = "const dir = '../shared/testdata/aws-sigv4-test-suite'"
    expect(outsidePointers('test/integration/a.ts', testData)).toEqual([])
    expect(outsidePointers('src/a.test.ts', testData)).toEqual([])
    expect(outsidePointers('src/a.ts', testData)).toHaveLength(1)
    expect(outsidePointers('docs/a.md', testData)).toHaveLength(1)
    expect(outsidePointers('src/a.ts', 'RFC 9110 §9.1')).toEqual([])
  })

  it('no file points at a document outside the repository', () => {
    const hits = files.flatMap((file) => {
      const path = join(ROOT, file)
      if (!existsSync(path)) return [] // removed since git listed it (another test's scratch file)
      const bytes = readFileSync(path)
      if (bytes.includes(0)) return [] // binary
      const text = bytes.toString('utf8')
      return outsidePointers(file, file === THIS_FILE ? withoutPatternBlock(text) : text)
    })
    expect(hits).toEqual([])
  })
})
