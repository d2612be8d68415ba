/**
 * The keys that seal session tokens: a document `{keys: [{id, secret}], active}` (JSON or YAML,
 * from `--sts-key-file` or the `keys` entry of the Secret named by `--sts-key-secret`), each secret
 * 32 random bytes in base64. Every listed key opens tokens; only the active one seals new ones, so
 * a rotation adds a key, makes it active, and drops the old one after the longest session ends.
 *
 * Each key is split with HKDF into an encryption key and a key that derives sessions' secret
 * access keys, so neither use can leak the other.
 *
 * @module
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import { parse as parseYaml } from 'yaml'

/** Key ids travel in clear in every token: short, printable, no separator. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const KEY_BYTES = 32
const MAX_KEYS = 16

export interface SessionKey {
  readonly id: string
  /** AES-256-GCM key sealing the token. */
  readonly encryption: KeyObject
  /** HMAC-SHA256 key deriving a session's secret access key from its access key id. */
  readonly secretDerivation: KeyObject
}

export interface SessionKeyRing {
  readonly active: SessionKey
  readonly byId: ReadonlyMap<string, SessionKey>
}

export type SessionKeyRingResult =
  | { readonly ok: true; readonly ring: SessionKeyRing }
  | { readonly ok: false; readonly error: string }

function subkey(secret: Buffer, purpose: string): KeyObject {
  return createSecretKey(
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `portcullis sts ${purpose} v1`, 32)),
  )
}

/** Builds the ring from an already parsed document. Never throws; errors never quote a secret. */
export function sessionKeyRingFrom(doc: unknown): SessionKeyRingResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, error: 'must be a mapping {keys: [{id, secret}], active: <id>}' }
  }
  const { keys, active } = doc as Record<string, unknown>
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    return { ok: false, error: `keys: must list 1 to ${MAX_KEYS} keys` }
  }
  const byId = new Map<string, SessionKey>()
  for (const [i, entry] of keys.entries()) {
    if (typeof entry !== 'object' || entry === null) {
      return { ok: false, error: `keys[${i}]: must be a mapping {id, secret}` }
    }
    const { id, secret } = entry as Record<string, unknown>
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      return { ok: false, error: `keys[${i}].id: must be 1-32 characters of A-Z a-z 0-9 _ -` }
    }
    if (byId.has(id)) return { ok: false, error: `keys[${i}].id: duplicate id ${id}` }
    const bytes =
      typeof secret === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(secret.trim())
        ? Buffer.from(secret.trim(), 'base64')
        : undefined
    if (bytes?.length !== KEY_BYTES) {
      return { ok: false, error: `keys[${i}].secret: must be ${KEY_BYTES} bytes in base64` }
    }
    byId.set(id, {
      id,
      encryption: subkey(bytes, 'token-encryption'),
      secretDerivation: subkey(bytes, 'secret-derivation'),
    })
  }
  if (typeof active !== 'string') return { ok: false, error: 'active: must name a key id' }
  const activeKey = byId.get(active)
  if (activeKey === undefined) return { ok: false, error: `active: no key with id ${active}` }
  return { ok: true, ring: { active: activeKey, byId } }
}

/** Parses the document text (JSON is YAML too). */
export function parseSessionKeyRing(text: string): SessionKeyRingResult {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch {
    // The parser's message may quote the text, which holds secrets.
    return { ok: false, error: 'not valid JSON or YAML' }
  }
  return sessionKeyRingFrom(doc)
}
