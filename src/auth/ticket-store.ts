/**
 * Tickets for browsers (AUTH_MODE=kafka): a browser cannot set an Authorization header on a
 * WebSocket, so it trades its Basic credentials for a ticket (`POST /auth/ticket`) and opens
 * `/ws?ticket=…`. A ticket is 32 random bytes, works once, expires after TICKET_TTL_SECONDS and
 * stands for the principal that asked for it (credentials included, in memory only). The store
 * keeps SHA-256 digests, not the tickets, and is bounded in total and per principal.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Principal } from './principal.js'
import { BoundedTtlMap } from './bounded-ttl-map.js'

export interface IssuedTicket {
  ticket: string
  expiresAt: Date
}

/** Why a ticket could not be issued; the route turns it into a 429. */
export class TicketLimitError extends Error {
  override name = 'TicketLimitError'
}

const TICKET_BYTES = 32
const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/

export class TicketStore {
  readonly #tickets: BoundedTtlMap<string, Principal>
  readonly #ttlMs: number
  readonly #maxPerPrincipal: number
  readonly #now: () => number
  readonly #sweeper: NodeJS.Timeout

  constructor (opts: { ttlSeconds: number, maxTickets?: number, maxPerPrincipal?: number, now?: () => number }) {
    this.#ttlMs = opts.ttlSeconds * 1000
    this.#maxPerPrincipal = opts.maxPerPrincipal ?? 32
    this.#now = opts.now ?? Date.now
    this.#tickets = new BoundedTtlMap({ maxEntries: opts.maxTickets ?? 10000, now: this.#now })
    this.#sweeper = setInterval(() => this.#tickets.sweep(), Math.max(1000, this.#ttlMs)).unref()
  }

  get size (): number {
    return this.#tickets.size
  }

  issue (principal: Principal): IssuedTicket {
    this.#tickets.sweep()
    if (this.#tickets.size >= this.#tickets.maxEntries) {
      throw new TicketLimitError('too many tickets are outstanding: try again in a few seconds')
    }
    if (this.#countFor(principal.name) >= this.#maxPerPrincipal) {
      throw new TicketLimitError(`${principal.name} already holds ${this.#maxPerPrincipal} unused tickets: use one or let them expire`)
    }
    const ticket = randomBytes(TICKET_BYTES).toString('base64url')
    this.#tickets.set(digest(ticket), principal, this.#ttlMs)
    return { ticket, expiresAt: new Date(this.#now() + this.#ttlMs) }
  }

  /** The ticket's principal, once: a second call, an expired or unknown ticket give null. */
  redeem (ticket: string): Principal | null {
    if (!TICKET_PATTERN.test(ticket)) return null
    return this.#tickets.take(digest(ticket)) ?? null
  }

  close (): void {
    clearInterval(this.#sweeper)
    this.#tickets.clear()
  }

  #countFor (name: string): number {
    let count = 0
    for (const principal of this.#tickets.values()) if (principal.name === name) count++
    return count
  }
}

function digest (ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url')
}
