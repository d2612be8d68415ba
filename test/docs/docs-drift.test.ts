// The reference pages under docs/reference are generated from the code (kinds from the TypeBox
// schemas, metrics from the registry, flags from the CLI specs). These tests regenerate them in
// memory and fail on any drift (run `npm run gen:docs` and commit the result), and check that the
// user-facing documents are self-contained: no pointer outside the repository, no dead local link.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
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

  it('kinds.md has a section for every kind', () => {
    const page = expected.get('kinds.md') ?? ''
    for (const kind of KINDS) expect(page).toContain(`\n## ${kind}\n`)
  })
})

/** The documents users read; source comments are out of scope here. */
const USER_DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...['docs', 'deploy', 'charts'].flatMap((d) =>
    filesUnder(join(ROOT, d)).map((f) => relative(ROOT, f)),
  ),
].filter((f) => existsSync(join(ROOT, f)))

describe('user documentation is self-contained', () => {
  it('covers the documents it means to (README, docs/, deploy/, charts/)', () => {
    expect(USER_DOCS).toContain('README.md')
    expect(USER_DOCS).toContain('docs/README.md')
    expect(USER_DOCS.some((f) => f.startsWith('deploy/'))).toBe(true)
    expect(USER_DOCS.some((f) => f.startsWith('charts/'))).toBe(true)
  })

  // Documents users do not have: the design notes and reference material beside the repository.
  const OUTSIDE = [/\.\.\/shared\b/, /\bDESIGN\.md\b/, /\bDESIGN §/, /aws-access-semantics/]

  for (const file of USER_DOCS) {
    it(`${file} points at nothing outside the repository`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8')
      const hits = OUTSIDE.filter((re) => re.test(text)).map(String)
      expect(hits).toEqual([])
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
