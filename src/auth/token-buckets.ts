/**
 * Token buckets, one per key (a principal or a client address): `ratePerSecond` tokens flow in,
 * up to `burst`. The number of buckets is bounded: when full, the least recently used one is
 * dropped (a dropped key simply starts again with a full bucket).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number, updatedAt: number }>()
  readonly #ratePerMs: number
  readonly #burst: number
  readonly #maxKeys: number
  readonly #now: () => number

  constructor (opts: { ratePerSecond: number, burst?: number, maxKeys?: number, now?: () => number }) {
    if (!(opts.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive')
    this.#ratePerMs = opts.ratePerSecond / 1000
    this.#burst = Math.max(1, opts.burst ?? Math.ceil(opts.ratePerSecond))
    this.#maxKeys = opts.maxKeys ?? 10000
    this.#now = opts.now ?? Date.now
  }

  get size (): number {
    return this.#buckets.size
  }

  /**
   * Takes one token for `key`. Returns 0 when it was there, else the seconds (at least 1, whole)
   * until one will be: the `Retry-After` to send.
   */
  take (key: string): number {
    const now = this.#now()
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next()
        if (oldest.done !== true) this.#buckets.delete(oldest.value)
      }
      bucket = { tokens: this.#burst, updatedAt: now }
    } else {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.updatedAt) * this.#ratePerMs)
      bucket.updatedAt = now
      this.#buckets.delete(key) // re-inserted below: the Map's order is least recently used first
    }
    this.#buckets.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#ratePerMs / 1000))
  }

  clear (): void {
    this.#buckets.clear()
  }
}
