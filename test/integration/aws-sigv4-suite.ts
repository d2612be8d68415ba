/**
 * AWS's SigV4 test vectors, read at test time from wherever a copy exists (third-party data is
 * never committed here), in one shape whatever the copy's layout:
 *
 * - aws-c-auth's `tests/aws-signing-test-suite/v4` (Apache-2.0): one folder per case with
 *   `context.json` and `header-*` / `query-*` files: 38 cases, each in the Authorization-header
 *   and the presigned-URL form. Read from the test data folder beside the repository, when present.
 * - botocore's `tests/unit/auth/aws4_testsuite` (the same vectors' earlier AWS release, Apache-2.0,
 *   with its NOTICE): `<case>/<case>.{req,creq,sts,authz,sreq}`, grouped folders
 *   (`normalize-path/`, `post-sts-token/`), header form only, 34 cases. scripts/ensure-tools.sh
 *   extracts it from botocore's source distribution on PyPI into ~/.cache/portcullis, so a clone
 *   anywhere runs the suite.
 *
 * Each layout has a known vector count that the test asserts, so a truncated or misread copy can
 * never pass by running fewer (or zero) vectors.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'

import { REPO_ROOT } from './sigv4-support.js'

export interface SuiteContext {
  readonly credentials: {
    readonly access_key_id: string
    readonly secret_access_key: string
    readonly token?: string
  }
  readonly normalize: boolean
  readonly region: string
  readonly service: string
  /** ISO 8601, e.g. `2015-08-30T12:36:00Z`. */
  readonly timestamp: string
  /** Presigned form only: the session token was added to the query after signing. */
  readonly omit_session_token?: boolean
}

/** One signed request with AWS's expected intermediate results. */
export interface SuiteVector {
  readonly case: string
  readonly form: 'header' | 'query'
  readonly context: SuiteContext
  /** The signed HTTP/1.1 message, in the format `parseHttpMessage` reads. */
  readonly signedRequest: string
  readonly canonicalRequest: string
  readonly stringToSign: string
  /** Hex signature. */
  readonly signature: string
}

export interface SuiteCopy {
  readonly layout: 'aws-c-auth' | 'botocore'
  readonly dir: string
  /** How many vectors a complete copy of this layout holds. */
  readonly expectedVectors: number
  readonly vectors: readonly SuiteVector[]
}

/** The aws-c-auth copy beside the repository (in CI it always is). */
export const AWS_C_AUTH_SUITE_DIR = path.resolve(
  REPO_ROOT,
  '..',
  'shared',
  'testdata',
  'aws-sigv4-test-suite',
  'v4',
)
/** Where scripts/ensure-tools.sh extracts botocore's copy. */
export const BOTOCORE_SUITE_DIR = path.join(
  homedir(),
  '.cache',
  'portcullis',
  'botocore-aws4_testsuite',
)

// The secret botocore's suite is signed with: it is in botocore's test code, not in the data.
const BOTOCORE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'

/** Every copy of the suite found, in a fixed order; throws when there is none. */
export function awsSigV4Suites(): SuiteCopy[] {
  const copies: SuiteCopy[] = []
  if (existsSync(AWS_C_AUTH_SUITE_DIR)) copies.push(readAwsCAuth(AWS_C_AUTH_SUITE_DIR))
  if (existsSync(BOTOCORE_SUITE_DIR)) copies.push(readBotocore(BOTOCORE_SUITE_DIR))
  if (copies.length === 0) {
    throw new Error(
      `AWS SigV4 test suite not found at ${AWS_C_AUTH_SUITE_DIR} nor ${BOTOCORE_SUITE_DIR}: run scripts/ensure-tools.sh`,
    )
  }
  return copies
}

function readAwsCAuth(dir: string): SuiteCopy {
  const cases = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
  const vectors: SuiteVector[] = []
  for (const name of cases) {
    const read = (file: string): string => readFileSync(path.join(dir, name, file), 'utf8')
    const context = JSON.parse(read('context.json')) as SuiteContext
    for (const form of ['header', 'query'] as const) {
      vectors.push({
        case: name,
        form,
        context,
        signedRequest: read(`${form}-signed-request.txt`),
        canonicalRequest: read(`${form}-canonical-request.txt`),
        stringToSign: read(`${form}-string-to-sign.txt`),
        signature: read(`${form}-signature.txt`).trim(),
      })
    }
  }
  return { layout: 'aws-c-auth', dir, expectedVectors: 38 * 2, vectors }
}

/** Case folders: those holding `<folder name>.req`, at any depth (`normalize-path/get-slash`). */
function botocoreCases(dir: string, rel = ''): string[] {
  const here = path.join(dir, rel)
  const found: string[] = []
  if (rel !== '' && existsSync(path.join(here, `${path.basename(rel)}.req`))) found.push(rel)
  for (const d of readdirSync(here, { withFileTypes: true })) {
    if (d.isDirectory()) found.push(...botocoreCases(dir, rel === '' ? d.name : `${rel}/${d.name}`))
  }
  return found.sort()
}

function readBotocore(dir: string): SuiteCopy {
  const vectors: SuiteVector[] = []
  for (const name of botocoreCases(dir)) {
    const read = (ext: string): string =>
      readFileSync(path.join(dir, name, `${path.basename(name)}.${ext}`), 'utf8').replace(/\r/g, '')
    const authz = read('authz').trim()
    const stringToSign = read('sts')
    // The string to sign carries what context.json gives in the other layout: the request time
    // and the scope (date/region/service/aws4_request).
    const [, amzDate = '', scope = ''] = stringToSign.split('\n')
    const [, region = '', service = ''] = scope.split('/')
    const accessKeyId = /Credential=([^/]+)\//.exec(authz)?.[1] ?? ''
    const signature = /Signature=([0-9a-f]{64})/.exec(authz)?.[1] ?? ''
    // The `.authz` file is the authoritative answer (the one botocore's own test compares); some
    // `.sreq` files carry a stale Authorization line, so the signed request is the `.sreq` with
    // its Authorization replaced by `.authz`. Headers the `.sreq` adds unsigned (a session token
    // sent after signing) stay, as a client would send them.
    const lines = read('sreq').split('\n')
    const blank = lines.indexOf('')
    const head = (blank < 0 ? lines : lines.slice(0, blank)).filter(
      (l) => !/^authorization:/i.test(l),
    )
    const body = blank < 0 ? [] : lines.slice(blank + 1)
    const signedRequest = [...head, `Authorization:${authz}`, '', ...body].join('\n')
    const token = head
      .find((l) => /^x-amz-security-token:/i.test(l))
      ?.slice('x-amz-security-token:'.length)
    vectors.push({
      case: name,
      form: 'header',
      context: {
        credentials: {
          access_key_id: accessKeyId,
          secret_access_key: BOTOCORE_SECRET,
          ...(token === undefined ? {} : { token }),
        },
        // botocore (like every SDK for non-S3 services) normalises the path.
        normalize: true,
        region,
        service,
        timestamp: amzDate.replace(
          /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
          '$1-$2-$3T$4:$5:$6Z',
        ),
      },
      signedRequest,
      canonicalRequest: read('creq'),
      stringToSign,
      signature,
    })
  }
  return { layout: 'botocore', dir, expectedVectors: 34, vectors }
}
