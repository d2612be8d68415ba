/**
 * Leader election on a `coordination.k8s.io/v1` Lease (client-go's leaderelection in small): the
 * holder renews `renewTime` every `renewIntervalMs`; another replica takes over once the record has
 * not changed for `leaseDurationSeconds` *as observed on its own clock* (so clock skew between nodes
 * does not matter). Writes use the Lease's resourceVersion, so two candidates can never both win. A
 * leader that cannot renew within the lease duration steps down on its own.
 *
 * @module
 */
import { KubeApiError, isRecord, type KubeClient } from '../sources/kubernetes-client.js'

export const LEADER_LEASE_NAME = 'portcullis-leader'

export interface LeaderLeaseLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface LeaderLeaseOptions {
  readonly client: KubeClient
  readonly namespace: string
  readonly identity: string
  readonly name?: string
  /** Default 15. */
  readonly leaseDurationSeconds?: number
  /** How often the leader renews, in ms. Default 5 000. */
  readonly renewIntervalMs?: number
  /** How often a follower retries, in ms. Default 2 000. */
  readonly retryIntervalMs?: number
  readonly onChange?: (leader: boolean) => void
  readonly logger?: LeaderLeaseLogger
  readonly now?: () => number
}

interface Observed {
  readonly holder: string
  readonly renewTime: string
  /** When this record was first seen (local clock). */
  readonly seenAt: number
}

export class LeaderLease {
  readonly #o: LeaderLeaseOptions
  readonly #name: string
  readonly #durationMs: number
  #leader = false
  #lastRenewAt = 0
  #observed: Observed | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = true
  #tick: Promise<void> | undefined

  constructor(opts: LeaderLeaseOptions) {
    this.#o = opts
    this.#name = opts.name ?? LEADER_LEASE_NAME
    this.#durationMs = (opts.leaseDurationSeconds ?? 15) * 1000
  }

  isLeader(): boolean {
    // A leader that could not renew for a whole lease duration may already have been replaced.
    if (this.#leader && this.#now() - this.#lastRenewAt > this.#durationMs) this.#set(false)
    return this.#leader
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#schedule(0)
  }

  /** Stops campaigning; a leader releases the lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    await this.#tick
    if (!this.#leader) return
    this.#set(false)
    try {
      const lease = await this.#get()
      if (lease && specOf(lease)['holderIdentity'] === this.#o.identity) {
        // An empty holder: the successor takes over at once instead of waiting out the lease.
        const spec = {
          ...specOf(lease),
          holderIdentity: '',
          renewTime: microTime(this.#now()),
          leaseDurationSeconds: 1,
        }
        await this.#o.client.request({
          method: 'PUT',
          path: this.#path(),
          body: { ...lease, spec },
        })
      }
    } catch (err) {
      this.#o.logger?.warn({ err: (err as Error).message }, 'could not release the leader lease')
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#tick = this.#tryAcquireOrRenew().finally(() => {
        this.#tick = undefined
        this.#schedule(
          this.#leader ? (this.#o.renewIntervalMs ?? 5000) : (this.#o.retryIntervalMs ?? 2000),
        )
      })
    }, ms)
    this.#timer.unref()
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const now = this.#now()
    try {
      const lease = await this.#get()
      if (lease === undefined) {
        await this.#o.client.request({
          method: 'POST',
          path: `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.#name, namespace: this.#o.namespace },
            spec: this.#spec(now, now, 0),
          },
        })
        this.#won(now)
        return
      }
      const spec = specOf(lease)
      const holder = typeof spec['holderIdentity'] === 'string' ? spec['holderIdentity'] : ''
      const renewTime = typeof spec['renewTime'] === 'string' ? spec['renewTime'] : ''
      const duration =
        typeof spec['leaseDurationSeconds'] === 'number'
          ? spec['leaseDurationSeconds'] * 1000
          : this.#durationMs
      if (
        this.#observed === undefined ||
        this.#observed.holder !== holder ||
        this.#observed.renewTime !== renewTime
      ) {
        this.#observed = { holder, renewTime, seenAt: now }
      }
      const mine = holder === this.#o.identity
      const free = holder === '' || now - this.#observed.seenAt > duration
      if (!mine && !free) {
        this.#set(false)
        return
      }
      const transitions =
        typeof spec['leaseTransitions'] === 'number' ? spec['leaseTransitions'] : 0
      const body = {
        ...lease,
        spec: {
          ...this.#spec(now, now, mine ? transitions : transitions + 1),
          // The holder keeps its original acquireTime across renewals.
          ...(mine && typeof spec['acquireTime'] === 'string'
            ? { acquireTime: spec['acquireTime'] }
            : {}),
        },
      }
      await this.#o.client.request({ method: 'PUT', path: this.#path(), body })
      this.#won(now)
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 409 || err.reason === 'AlreadyExists')) {
        // Someone else wrote first: not ours this round.
        this.#set(false)
        return
      }
      this.#o.logger?.warn({ err: (err as Error).message }, 'leader lease acquire/renew failed')
      this.isLeader() // steps down when the lease may have lapsed
    }
  }

  #won(now: number): void {
    this.#lastRenewAt = now
    this.#set(true)
  }

  #set(leader: boolean): void {
    if (leader === this.#leader) return
    this.#leader = leader
    this.#o.logger?.info(
      { identity: this.#o.identity, lease: `${this.#o.namespace}/${this.#name}` },
      leader ? 'became leader' : 'no longer leader',
    )
    this.#o.onChange?.(leader)
  }

  #spec(acquire: number, renew: number, transitions: number): Record<string, unknown> {
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: this.#durationMs / 1000,
      acquireTime: microTime(acquire),
      renewTime: microTime(renew),
      leaseTransitions: transitions,
    }
  }

  #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases/${encodeURIComponent(this.#name)}`
  }

  async #get(): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.#o.client.request({ method: 'GET', path: this.#path() })
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined
      throw err
    }
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now()
  }
}

function specOf(lease: Record<string, unknown>): Record<string, unknown> {
  return isRecord(lease['spec']) ? lease['spec'] : {}
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
