/**
 * API Gateway resource-path matching. Routes are compiled once into a segment trie; a lookup walks
 * it preferring literal segments over `{param}` over greedy `{proxy+}` and backtracks when the more
 * specific branch has no method for the request, so the most specific route that can serve the
 * method wins. At one resource an exact verb beats `ANY`.
 *
 * @module
 */

export interface RouteMatch<R> {
  readonly route: R
  /** Template of the matched resource, e.g. `/pets/{petId}`. */
  readonly resourcePath: string
  /** Decoded values of `{param}` and `{proxy+}` (the latter joined with `/`). */
  readonly pathParameters: Readonly<Record<string, string>>
}

export interface RouteTable<R> {
  match(method: string, segments: readonly string[]): RouteMatch<R> | undefined
  readonly size: number
}

interface Node<R> {
  readonly literal: Map<string, Node<R>>
  param: { readonly name: string; readonly node: Node<R> } | undefined
  greedy: { readonly name: string; readonly methods: Map<string, Leaf<R>> } | undefined
  readonly methods: Map<string, Leaf<R>>
}

interface Leaf<R> {
  readonly route: R
  readonly resourcePath: string
}

export type RouteTemplateError = { readonly message: string }

const PARAM = /^\{([A-Za-z0-9._-]+)\}$/
const GREEDY = /^\{([A-Za-z0-9._-]+)\+\}$/

/** Parses `/a/{b}/{c+}` into segment descriptors, or explains why it is not a valid resource path. */
export function parseResourcePath(
  path: string,
): { ok: true; segments: readonly string[] } | { ok: false; message: string } {
  if (!path.startsWith('/')) return { ok: false, message: 'must start with /' }
  if (path === '/') return { ok: true, segments: [] }
  const segments = path.slice(1).split('/')
  const names = new Set<string>()
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] ?? ''
    if (s === '') return { ok: false, message: 'empty path segment' }
    const greedy = GREEDY.exec(s)
    const param = PARAM.exec(s)
    if (greedy) {
      if (i !== segments.length - 1)
        return { ok: false, message: `greedy ${s} must be the last segment` }
      if (names.has(greedy[1] ?? '')) return { ok: false, message: `duplicate parameter ${s}` }
    } else if (param) {
      if (names.has(param[1] ?? '')) return { ok: false, message: `duplicate parameter ${s}` }
      names.add(param[1] ?? '')
    } else if (/[{}]/.test(s)) {
      return { ok: false, message: `invalid segment ${s}` }
    }
  }
  return { ok: true, segments }
}

function newNode<R>(): Node<R> {
  return { literal: new Map(), param: undefined, greedy: undefined, methods: new Map() }
}

export interface RouteInput<R> {
  readonly path: string
  readonly methods: readonly string[]
  readonly route: R
}

/**
 * Builds the table. Returns conflicts (same resource + method twice, or two different parameter
 * names at one position, which API Gateway also forbids) as messages keyed by input index.
 */
export function buildRouteTable<R>(inputs: readonly RouteInput<R>[]): {
  table: RouteTable<R>
  errors: { index: number; message: string }[]
} {
  const root = newNode<R>()
  const errors: { index: number; message: string }[] = []
  let size = 0
  inputs.forEach((input, index) => {
    const parsed = parseResourcePath(input.path)
    if (!parsed.ok) {
      errors.push({ index, message: parsed.message })
      return
    }
    let node = root
    let methods: Map<string, Leaf<R>> | undefined
    for (const seg of parsed.segments) {
      const greedy = GREEDY.exec(seg)
      const param = PARAM.exec(seg)
      if (greedy) {
        const name = greedy[1] ?? ''
        if (node.greedy && node.greedy.name !== name) {
          errors.push({
            index,
            message: `conflicting greedy parameter {${name}+} vs {${node.greedy.name}+}`,
          })
          return
        }
        node.greedy ??= { name, methods: new Map() }
        methods = node.greedy.methods
      } else if (param) {
        const name = param[1] ?? ''
        if (node.param && node.param.name !== name) {
          errors.push({ index, message: `conflicting parameter {${name}} vs {${node.param.name}}` })
          return
        }
        node.param ??= { name, node: newNode() }
        node = node.param.node
      } else {
        let next = node.literal.get(seg)
        if (!next) {
          next = newNode()
          node.literal.set(seg, next)
        }
        node = next
      }
    }
    methods ??= node.methods
    for (const m of input.methods) {
      const verb = m.toUpperCase()
      if (methods.has(verb)) {
        errors.push({ index, message: `duplicate route ${verb} ${input.path}` })
        continue
      }
      methods.set(verb, { route: input.route, resourcePath: input.path })
      size++
    }
  })
  const table: RouteTable<R> = {
    size,
    match(method, segments) {
      const params: Record<string, string> = {}
      const leaf = walk(root, method, segments, 0, params)
      if (!leaf) return undefined
      return { route: leaf.route, resourcePath: leaf.resourcePath, pathParameters: params }
    },
  }
  return { table, errors }
}

/**
 * The methods a route can serve: API Gateway's verbs, which `ANY` stands for. Methods are
 * case-sensitive (RFC 9110 §9.1): `get` is not `GET`, and a request whose method is literally
 * `ANY` (or any other token) is an unknown method, never a match for `ANY` routes, whose
 * method-scoped policies (`…/DELETE/…`) it would otherwise slip past.
 */
const ROUTABLE_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
])

function pick<R>(methods: Map<string, Leaf<R>>, method: string): Leaf<R> | undefined {
  if (!ROUTABLE_METHODS.has(method)) return undefined
  return methods.get(method) ?? methods.get('ANY')
}

function walk<R>(
  node: Node<R>,
  method: string,
  segments: readonly string[],
  i: number,
  params: Record<string, string>,
): Leaf<R> | undefined {
  if (i === segments.length) return pick(node.methods, method)
  const seg = segments[i] ?? ''
  const lit = node.literal.get(seg)
  if (lit) {
    const found = walk(lit, method, segments, i + 1, params)
    if (found) return found
  }
  // A parameter never matches an empty segment (`/pets//x`), as in API Gateway.
  if (node.param && seg !== '') {
    const found = walk(node.param.node, method, segments, i + 1, params)
    if (found) {
      params[node.param.name] = seg
      return found
    }
  }
  if (node.greedy) {
    const found = pick(node.greedy.methods, method)
    if (found) {
      params[node.greedy.name] = segments.slice(i).join('/')
      return found
    }
  }
  return undefined
}
