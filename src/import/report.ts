/**
 * The import report: every element of the input (method, authorizer, policy statement, endpoint
 * setting, API key, usage plan...) with what became of it and where it came from, plus the TODO list
 * the user must work through before the manifests mean what the source meant.
 *
 * @module
 */

/**
 * - `mapped`: the manifests say exactly what the source said.
 * - `approximated`: the manifests say something close; the detail says what differs.
 * - `not-mapped`: nothing in the manifests carries it (the detail says why, and what it means).
 * - `todo`: the manifests carry a placeholder the user must replace (listed again under TODO).
 */
export type ItemStatus = 'mapped' | 'approximated' | 'not-mapped' | 'todo'

/** Where an element came from: the file and a JSON pointer into it (RFC 6901). */
export interface SourceLocation {
  readonly file: string
  readonly pointer: string
}

export interface ReportItem {
  readonly status: ItemStatus
  /** What the element is, e.g. `method GET /pets` or `authorizer MyAuth`. */
  readonly element: string
  readonly source: SourceLocation
  readonly detail?: string
}

/** Appends one RFC 6901 token to a pointer (`~` and `/` escaped). */
export function pointerTo(base: string, ...tokens: readonly (string | number)[]): string {
  return tokens.reduce<string>(
    (p, t) => `${p}/${String(t).replace(/~/g, '~0').replace(/\//g, '~1')}`,
    base,
  )
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}#${loc.pointer}`
}

export class ImportReport {
  readonly items: ReportItem[] = []
  /** Manifest files written, in order. */
  readonly written: string[] = []

  add(status: ItemStatus, element: string, file: string, pointer: string, detail?: string): void {
    this.items.push({
      status,
      element,
      source: { file, pointer },
      ...(detail !== undefined ? { detail } : {}),
    })
  }

  /** 0 when everything mapped exactly, 3 when anything was approximated, left out or left as a TODO. */
  exitCode(): 0 | 3 {
    return this.items.every((i) => i.status === 'mapped') ? 0 : 3
  }
}

const LABEL: Record<ItemStatus, string> = {
  mapped: 'mapped',
  approximated: 'approximated',
  'not-mapped': 'not mapped',
  todo: 'TODO',
}

/**
 * Text rendering: one line per element (`status  element  file#pointer  — detail`), grouped by
 * source file in input order, then the TODO list and a one-line summary.
 */
export function renderReport(report: ImportReport): string {
  const lines: string[] = []
  const width = Math.max(...Object.values(LABEL).map((l) => l.length))
  let file: string | undefined
  for (const i of report.items) {
    if (i.source.file !== file) {
      file = i.source.file
      lines.push(`${file}:`)
    }
    const detail = i.detail !== undefined ? ` — ${i.detail}` : ''
    lines.push(`  ${LABEL[i.status].padEnd(width)}  ${i.element}  (#${i.source.pointer})${detail}`)
  }
  const todos = report.items.filter((i) => i.status !== 'mapped')
  if (todos.length > 0) {
    lines.push('', 'TODO (review before serving these manifests):')
    todos.forEach((i, n) => {
      const detail = i.detail !== undefined ? `: ${i.detail}` : ''
      lines.push(
        `  ${n + 1}. [${LABEL[i.status]}] ${i.element} (${formatLocation(i.source)})${detail}`,
      )
    })
  }
  for (const w of report.written) lines.push(`wrote ${w}`)
  const count = (s: ItemStatus): number => report.items.filter((i) => i.status === s).length
  lines.push(
    `${count('mapped')} mapped, ${count('approximated')} approximated, ${count('not-mapped')} not mapped, ${count('todo')} TODO`,
  )
  return lines.join('\n')
}
