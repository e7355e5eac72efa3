/**
 * A Map with a size bound and a time to live per entry. Entries expire lazily on read and in
 * `sweep()`; when full, `set` first sweeps, then evicts the oldest entries (insertion order),
 * so memory stays bounded whatever clients send.
 */
export class BoundedTtlMap<K, V> {
  readonly #entries = new Map<K, { value: V, expiresAt: number }>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor (opts: { maxEntries: number, now?: () => number }) {
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer')
    this.#maxEntries = opts.maxEntries
    this.#now = opts.now ?? Date.now
  }

  get size (): number {
    return this.#entries.size
  }

  get maxEntries (): number {
    return this.#maxEntries
  }

  get (key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** Expiry time (epoch ms) of a live entry. */
  expiresAt (key: K): number | undefined {
    return this.get(key) === undefined ? undefined : this.#entries.get(key)?.expiresAt
  }

  set (key: K, value: V, ttlMs: number): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) this.sweep()
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs })
  }

  /** Removes and returns a live entry (expired ones count as absent). */
  take (key: K): V | undefined {
    const value = this.get(key)
    this.#entries.delete(key)
    return value
  }

  delete (key: K): boolean {
    return this.#entries.delete(key)
  }

  /** The live values, oldest first. */
  * values (): IterableIterator<V> {
    const now = this.#now()
    for (const entry of this.#entries.values()) if (entry.expiresAt > now) yield entry.value
  }

  /** Drops every expired entry; returns how many. */
  sweep (): number {
    const now = this.#now()
    let dropped = 0
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key)
        dropped++
      }
    }
    return dropped
  }

  clear (): void {
    this.#entries.clear()
  }
}
