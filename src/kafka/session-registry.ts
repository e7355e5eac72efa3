/**
 * All open client sessions of the app. REST sessions are kept between requests and found again
 * by (principal, group_id, sorted topics); stream sessions (WebSocket, SSE) belong to their
 * connection and are only counted here, for the limits and for shutdown.
 *
 * Decisions:
 * - One request at a time per REST session: a second concurrent request on the same session
 *   gets 409 FG_SESSION_BUSY at once rather than waiting (a waiting request would hold a
 *   connection and receive alerts out of order with the first anyway).
 * - A REST request that finds its session but asks for a different `start` closes that session
 *   and opens a new one: the client explicitly asked to be repositioned. The same `start` (or
 *   none) keeps the session and its position.
 * - A REST session found stuck (ClientSession.stuckReason: a consumer error, or pulled for long
 *   without an assignment) is closed and replaced by a new one on the next request.
 * - A REST session unused for REST_SESSION_IDLE_SECONDS is closed (well before Kafka's
 *   max.poll.interval.ms evicts it from its group).
 * - MAX_SESSIONS and MAX_SESSIONS_PER_PRINCIPAL count every transport; above them: 429.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { GatewayMetrics } from '../metrics.js'
import type { Principal } from '../auth/principal.js'
import { ClientSession, sameStart, type StartPosition, type Transport } from './session.js'
import { KafkaError } from './errors.js'

export interface SessionRequest {
  principal: Principal
  groupId: string | null
  topics: readonly string[]
  start?: StartPosition | undefined
  /** A cursor's next offsets to resume at (a REST session is reopened for it). */
  resume?: ReadonlyMap<string, ReadonlyMap<number, number>> | undefined
  /** Bound on connecting to Kafka (the client's timeout). */
  timeoutMs: number
  log?: FastifyBaseLogger
}

/** A REST session held by one request; release() exactly once when the response is done. */
export interface SessionLease {
  session: ClientSession
  /** True when this request opened the session (start applied now). */
  created: boolean
  release: () => void
}

interface RestEntry {
  key: string
  session: ClientSession
  busy: boolean
  idleTimer: NodeJS.Timeout | null
}

const CLOSE_ALL_TIMEOUT_MS = 10000

export class SessionRegistry {
  private readonly all = new Set<ClientSession>()
  private readonly rest = new Map<string, RestEntry>()
  private readonly perPrincipal = new Map<string, number>()
  private shuttingDown = false
  /** Latest lag per topic reported by each stream, for the fink_gateway_consumer_lag gauge (max per topic). */
  private readonly lagBySession = new Map<string, Map<string, number>>()

  constructor (
    private readonly config: Config,
    private readonly metrics: GatewayMetrics,
    private readonly log: FastifyBaseLogger,
    /** Test hooks: ClientSessionOptions.unassignedLimitMs for every session. */
    private readonly testing: { unassignedLimitMs?: number } = {}
  ) {}

  /** Number of open sessions (all transports). */
  get size (): number { return this.all.size }

  /** Open sessions now, for tests and the status page (no secrets). */
  list (): ClientSession[] { return [...this.all] }

  static restKey (principal: Principal, groupId: string, topics: readonly string[]): string {
    return JSON.stringify([principal.name, groupId, [...topics].sort()])
  }

  /**
   * The REST session for this (principal, group, topics), opened if needed. Throws
   * FG_SESSION_BUSY (409) when another request is using it, FG_TOO_MANY_SESSIONS (429) above the
   * limits, a KafkaError when Kafka cannot be reached.
   */
  async acquireRest (req: SessionRequest & { groupId: string }): Promise<SessionLease> {
    const key = SessionRegistry.restKey(req.principal, req.groupId, req.topics)
    let entry = this.rest.get(key)
    let replaces: ClientSession | undefined
    if (entry !== undefined) {
      if (entry.busy) throw new KafkaError('FG_SESSION_BUSY', `group_id ${req.groupId} on these topics is serving another request; send one request at a time per group`)
      if ((req.start !== undefined && !sameStart(entry.session.start, req.start)) || req.resume !== undefined) {
        entry.session.log.debug({ start: req.start }, 'new start asked: reopening the session')
        this.dropRest(entry)
        await entry.session.close()
        entry = undefined
        // Another request may have opened the session meanwhile: it is busy then.
        if (this.rest.has(key)) throw new KafkaError('FG_SESSION_BUSY', `group_id ${req.groupId} on these topics is serving another request; send one request at a time per group`)
      } else if (entry.session.closed) {
        this.dropRest(entry)
        entry = undefined
      } else {
        const stuck = entry.session.stuckReason()
        if (stuck !== null) {
          // Nothing is lost: the new consumer starts from the group's commits (only what was delivered).
          entry.session.log.warn({ reason: stuck }, 'REST session stuck: replacing it')
          replaces = entry.session
          this.dropRest(entry)
          await entry.session.close()
          entry = undefined
          if (this.rest.has(key)) throw new KafkaError('FG_SESSION_BUSY', `group_id ${req.groupId} on these topics is serving another request; send one request at a time per group`)
        }
      }
    }
    if (entry !== undefined) {
      this.markBusy(entry)
      return this.leaseOf(entry, false)
    }
    const session = this.create('rest', req, replaces)
    const created: RestEntry = { key, session, busy: true, idleTimer: null }
    this.rest.set(key, created)
    try {
      await session.open(req.timeoutMs)
    } catch (err) {
      this.dropRest(created)
      await session.close()
      throw err
    }
    return this.leaseOf(created, true)
  }

  /** A session for one stream connection; the caller closes it (then it leaves the registry). */
  async openStream (transport: Exclude<Transport, 'rest'>, req: SessionRequest): Promise<ClientSession> {
    const session = this.create(transport, req)
    try {
      await session.open(req.timeoutMs)
    } catch (err) {
      await session.close()
      throw err
    }
    return session
  }

  /** Refuses new sessions and closes every open one in parallel, bounded in time. */
  async closeAll (timeoutMs = CLOSE_ALL_TIMEOUT_MS): Promise<void> {
    this.shuttingDown = true
    for (const entry of this.rest.values()) if (entry.idleTimer !== null) clearTimeout(entry.idleTimer)
    this.rest.clear()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled([...this.all].map(async (s) => { await s.close() })),
      new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs) })
    ])
    clearTimeout(timer)
  }

  private create (transport: Transport, req: SessionRequest, replaces?: ClientSession): ClientSession {
    if (this.shuttingDown) throw new KafkaError('FG_SHUTTING_DOWN', 'the gateway is shutting down; reconnect in a moment')
    if (this.all.size >= this.config.MAX_SESSIONS) {
      this.metrics.rejectedTotal.inc({ code: 'FG_TOO_MANY_SESSIONS' })
      throw new KafkaError('FG_TOO_MANY_SESSIONS', `the gateway serves its maximum of ${this.config.MAX_SESSIONS} sessions; retry later`, { canRetry: true })
    }
    const name = req.principal.name
    const mine = this.perPrincipal.get(name) ?? 0
    if (mine >= this.config.MAX_SESSIONS_PER_PRINCIPAL) {
      this.metrics.rejectedTotal.inc({ code: 'FG_TOO_MANY_SESSIONS' })
      throw new KafkaError('FG_TOO_MANY_SESSIONS', `you have ${mine} open sessions, the maximum per user; close some (idle REST sessions close after ${this.config.REST_SESSION_IDLE_SECONDS} s)`, { canRetry: true })
    }
    const session = new ClientSession({
      config: this.config,
      transport,
      principal: req.principal,
      groupId: req.groupId,
      topics: req.topics,
      start: req.start,
      resume: req.resume,
      log: req.log ?? this.log,
      metrics: this.metrics,
      replaces,
      unassignedLimitMs: this.testing.unassignedLimitMs
    })
    this.all.add(session)
    this.perPrincipal.set(name, mine + 1)
    // Leave the registry whichever path closes the session — once its consumer is disconnected:
    // a closing session still holds one, so it still counts (limits, closeAll, size).
    const close = session.close.bind(session)
    session.close = async () => {
      if (this.lagBySession.delete(session.id)) this.publishLag()
      try {
        await close()
      } finally {
        if (this.all.delete(session)) {
          const left = (this.perPrincipal.get(name) ?? 1) - 1
          if (left <= 0) this.perPrincipal.delete(name); else this.perPrincipal.set(name, left)
        }
      }
    }
    return session
  }

  /** A stream's latest lag per topic; the gauge shows the largest per topic over open sessions. */
  reportLag (session: ClientSession, perTopic: ReadonlyMap<string, number>): void {
    if (session.closed) return
    this.lagBySession.set(session.id, new Map(perTopic))
    this.publishLag()
  }

  private publishLag (): void {
    const max = new Map<string, number>()
    for (const perTopic of this.lagBySession.values()) {
      for (const [topic, lag] of perTopic) max.set(topic, Math.max(lag, max.get(topic) ?? 0))
    }
    this.metrics.consumerLag.reset()
    for (const [topic, lag] of max) this.metrics.consumerLag.set({ topic }, lag)
  }

  private markBusy (entry: RestEntry): void {
    entry.busy = true
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer)
    entry.idleTimer = null
  }

  private leaseOf (entry: RestEntry, created: boolean): SessionLease {
    let released = false
    return {
      session: entry.session,
      created,
      release: () => {
        if (released) return
        released = true
        entry.busy = false
        if (entry.session.closed || this.rest.get(entry.key) !== entry) {
          // Replaced or closed meanwhile (shutdown, a new start): it must not stay open unlisted.
          this.dropRest(entry)
          entry.session.close().catch(() => {})
          return
        }
        entry.idleTimer = setTimeout(() => {
          this.dropRest(entry)
          entry.session.log.debug('idle REST session closed')
          entry.session.close().catch(() => {})
        }, this.config.REST_SESSION_IDLE_SECONDS * 1000)
        entry.idleTimer.unref()
      }
    }
  }

  private dropRest (entry: RestEntry): void {
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer)
    entry.idleTimer = null
    if (this.rest.get(entry.key) === entry) this.rest.delete(entry.key)
  }
}
