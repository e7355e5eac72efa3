/**
 * GET /ws: a WebSocket stream of items on a session that lives as long as the connection.
 *
 * Frames to the client: `{"type":"alert",…item}` (the item's JSON text with the type prepended,
 * never re-serialised), `{"type":"status",…}` (state "started" with the assigned partitions;
 * "streaming" about every 5 s with the lag per topic and `caught_up`; "stalled" then "closed"),
 * `{"type":"error","code","message"}`.
 * Frames from the client: `{"type":"ack","topic","partition","offset"}` with ack=manual.
 *
 * Decisions:
 * - Parameters, topics and the session are checked and opened in a preHandler, before the
 *   upgrade: a bad parameter is a plain HTTP 400, an unknown topic 404, too many sessions 429,
 *   Kafka unreachable 503 — no consumer is left behind if the upgrade then fails.
 * - ack=auto: an alert's offset is staged once ws.send's callback reports it written, and
 *   commits go out once a second (and on close) rather than one commit per alert.
 * - Backpressure: the pull loop asks Kafka only while socket.bufferedAmount is under
 *   WS_MAX_BUFFERED_BYTES, and sizes each pull to the room left; a client that stays above the
 *   bound for WS_STALL_SECONDS gets a "stalled" status frame (next offset per partition) and
 *   close 4008. Its unsent alerts were never committed: they come again to its group.
 * - A client message over WS_MAX_CLIENT_MESSAGE_BYTES is closed by `ws` with 1009; malformed
 *   JSON gets an error frame and the connection stays.
 * - Shutdown: every stream gets a "closed" status frame and close 1001, then its session commits
 *   and disconnects.
 */
import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { GatewayError, ShuttingDown, UpgradeRequired } from '../errors.js'
import { httpErrorFor } from '../kafka/errors.js'
import type { ClientSession, SessionRecord } from '../kafka/session.js'
import type { ItemOptions } from '../avro/index.js'
import { StreamQuery, parseStreamParams, type AckMode, type StreamParams } from './params.js'
import { failFastIfKafkaDown } from './poll-consume.js'

const STATUS_EVERY_MS = 5000
const COMMIT_EVERY_MS = 1000
const BACKPRESSURE_CHECK_MS = 25
const PULL_WAIT_MS = 250
const MAX_BATCH = 100
const OPEN_TIMEOUT_MS = 10000
/** A closed client that does not answer the close handshake (e.g. stalled) is cut off after this. */
const TERMINATE_AFTER_CLOSE_MS = 5000
const SHUTDOWN_WAIT_MS = 5000

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  INTERNAL: 1011,
  STALLED: 4008,
  BAD_REQUEST: 4400,
  NOT_FOUND: 4404,
  UNAVAILABLE: 4503
} as const

declare module 'fastify' {
  interface FastifyRequest {
    /** The stream's session, opened before the upgrade. */
    streamSession: ClientSession | null
    streamParams: StreamParams | null
  }
  interface FastifyInstance {
    /** The WebSocket streams open now (tests and diagnostics read their stats). */
    readonly wsStreams: ReadonlySet<WsStream>
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** One WebSocket connection's loop: pull what the socket can take, send, commit, report. */
export class WsStream {
  private stopped = false
  private alive = true
  private readonly timers: NodeJS.Timeout[] = []
  private avgFrameBytes = 64 * 1024
  private stalledSince: number | null = null
  private caughtUp = false
  private done: Promise<void> = Promise.resolve()
  readonly stats = { sent: 0, maxBufferedAmount: 0, pauses: 0 }

  constructor (
    private readonly socket: WebSocket,
    readonly session: ClientSession,
    private readonly params: { item: ItemOptions, ack: AckMode, groupId: string | null },
    private readonly app: FastifyInstance,
    private readonly log: FastifyBaseLogger
  ) {}

  start (): Promise<void> {
    const { socket, app } = this
    const config = app.config
    socket.on('message', (data, isBinary) => { this.onMessage(data as Buffer, isBinary) })
    socket.on('pong', () => { this.alive = true })
    socket.on('close', () => { this.stop('client closed') })
    socket.on('error', (err) => { this.log.debug({ err }, 'websocket error'); this.stop('socket error') })
    this.every(config.WS_PING_SECONDS * 1000, () => {
      if (!this.alive) {
        this.log.info('peer missed a pong: terminating')
        socket.terminate()
        this.stop('missed pong')
        return
      }
      this.alive = false
      socket.ping()
    })
    this.every(STATUS_EVERY_MS, () => { this.sendProgress().catch(() => {}) })
    if (this.params.ack === 'auto') this.every(COMMIT_EVERY_MS, () => { this.session.commitDelivered() })
    this.done = this.run().catch((err: unknown) => { this.fail(err) })
    return this.done
  }

  private every (ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms)
    timer.unref()
    this.timers.push(timer)
  }

  private get open (): boolean {
    return !this.stopped && this.socket.readyState === this.socket.OPEN
  }

  private async run (): Promise<void> {
    const config = this.app.config
    const bound = config.WS_MAX_BUFFERED_BYTES
    let announced = false
    while (this.open) {
      if (!announced && this.session.assignedPartitions().length > 0) {
        announced = true
        this.sendStatus({ state: 'started', group_id: this.params.groupId, ack: this.params.ack, partitions: this.session.assignedPartitions() })
      }
      const buffered = this.socket.bufferedAmount
      if (buffered > this.stats.maxBufferedAmount) this.stats.maxBufferedAmount = buffered
      if (buffered > bound) {
        const now = Date.now()
        if (this.stalledSince === null) {
          this.stalledSince = now
          this.stats.pauses++
          this.app.metrics.backpressurePausesTotal.inc({ transport: 'ws' })
        } else if (now - this.stalledSince > config.WS_STALL_SECONDS * 1000) {
          this.closeSlowClient()
          return
        }
        await sleep(BACKPRESSURE_CHECK_MS)
        continue
      }
      this.stalledSince = null
      const room = Math.floor((bound - buffered) / this.avgFrameBytes)
      const max = Math.max(1, Math.min(MAX_BATCH, room))
      const records = await this.session.pull(max, Date.now() + PULL_WAIT_MS)
      if (records.length === 0) continue
      await this.sendAll(records)
    }
  }

  private async sendAll (records: SessionRecord[]): Promise<void> {
    const items = await this.app.decoder.items(records, this.params.item)
    const metrics = this.app.metrics
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as SessionRecord
      const item = items[i] as string
      // The item is a JSON object: `{"type":"alert",` + its members, not re-serialised.
      const frame = `{"type":"alert",${item.slice(1)}`
      if (!this.open) return
      const bytes = Buffer.byteLength(frame)
      this.avgFrameBytes = Math.max(1024, this.avgFrameBytes * 0.8 + bytes * 0.2)
      this.socket.send(frame, (err) => {
        if (err !== undefined && err !== null) return
        this.session.delivered([record], this.params.ack === 'auto' ? 'later' : 'never')
        this.stats.sent++
        metrics.alertsDeliveredTotal.inc({ transport: 'ws', topic: record.topic })
        metrics.bytesSentTotal.inc({ transport: 'ws' }, bytes)
      })
    }
  }

  private onMessage (data: Buffer, isBinary: boolean): void {
    if (isBinary) { this.sendError('FG_BAD_MESSAGE', 'send text frames holding JSON, e.g. {"type":"ack","topic":"…","partition":0,"offset":42}'); return }
    let message: unknown
    try {
      message = JSON.parse(data.toString('utf8'))
    } catch {
      this.sendError('FG_BAD_MESSAGE', 'a client message is not valid JSON')
      return
    }
    const m = message as { type?: unknown, topic?: unknown, partition?: unknown, offset?: unknown }
    if (m === null || typeof m !== 'object' || m.type !== 'ack') {
      this.sendError('FG_BAD_MESSAGE', 'unknown message: the only client message is {"type":"ack","topic","partition","offset"} (with ack=manual)')
      return
    }
    if (this.params.ack !== 'manual') {
      this.sendError('FG_BAD_MESSAGE', 'acks are only used with ack=manual; this stream commits on its own (ack=auto)')
      return
    }
    if (typeof m.topic !== 'string' || !Number.isSafeInteger(m.partition) || !Number.isSafeInteger(m.offset)) {
      this.sendError('FG_BAD_MESSAGE', 'an ack needs "topic" (string), "partition" and "offset" (integers)')
      return
    }
    if (!this.session.acknowledge(m.topic, m.partition as number, m.offset as number)) {
      this.sendError('FG_BAD_ACK', `offset ${String(m.offset)} of ${m.topic}/${String(m.partition)} was not sent on this connection`)
    }
  }

  private async sendProgress (): Promise<void> {
    if (!this.open) return
    const partitions = await this.session.lag()
    if (!this.open || partitions.length === 0) return
    const lag: Record<string, number> = {}
    for (const p of partitions) lag[p.topic] = (lag[p.topic] ?? 0) + p.lag
    const caughtUp = partitions.every((p) => p.lag === 0)
    this.caughtUp = caughtUp
    this.app.sessions.reportLag(this.session, new Map(Object.entries(lag)))
    this.sendStatus({ state: 'streaming', lag, caught_up: caughtUp, sent: this.stats.sent })
  }

  private sendStatus (status: Record<string, unknown>): void {
    if (this.socket.readyState !== this.socket.OPEN) return
    this.socket.send(JSON.stringify({ type: 'status', ...status }))
  }

  private sendError (code: string, message: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return
    this.socket.send(JSON.stringify({ type: 'error', code, message }))
  }

  private closeSlowClient (): void {
    const seconds = this.app.config.WS_STALL_SECONDS
    this.log.info({ bufferedAmount: this.socket.bufferedAmount, positions: this.session.positions() }, 'client stalled: closing')
    this.app.metrics.slowClientClosesTotal.inc({ transport: 'ws' })
    this.sendStatus({
      state: 'stalled',
      message: `the client read nothing for ${seconds} s; reconnect with the same group_id to resume`,
      positions: this.session.positions()
    })
    this.close(CloseCode.STALLED, 'client too slow')
  }

  private fail (err: unknown): void {
    if (!this.open) return
    const code = err instanceof GatewayError ? err.code : 'FG_INTERNAL'
    const message = err instanceof Error ? err.message : String(err)
    this.log.warn({ err }, 'stream failed')
    this.sendError(code, message)
    this.close(code === 'FG_TOPIC_NOT_FOUND' ? CloseCode.NOT_FOUND : code === 'FG_KAFKA_UNAVAILABLE' ? CloseCode.UNAVAILABLE : CloseCode.INTERNAL, code)
  }

  /** Closes the socket with `code` (terminating it if the peer does not answer) and the session. */
  close (code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN) {
      this.socket.close(code, reason)
      const timer = setTimeout(() => { this.socket.terminate() }, TERMINATE_AFTER_CLOSE_MS)
      timer.unref()
      this.socket.once('close', () => { clearTimeout(timer) })
    }
    this.stop(reason)
  }

  /** Shutdown: a "closed" status, close 1001, then the session commits and disconnects. */
  async shutdown (): Promise<void> {
    this.sendStatus({ state: 'closed', reason: 'the gateway is shutting down; reconnect with the same group_id to resume', positions: this.session.positions() })
    this.close(CloseCode.GOING_AWAY, 'server shutting down')
    await this.done
    await this.session.close()
  }

  /** Idempotent: stops the loop and every timer, closes the session (commits what was sent). */
  private stop (reason: string): void {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers.length = 0
    this.log.debug({ reason, stats: this.stats, caughtUp: this.caughtUp }, 'stream stopped')
    // The loop may be inside a pull: the session waits for it before disconnecting.
    this.done.finally(() => this.session.close()).catch(() => {})
  }
}

const wsRoutes: FastifyPluginAsync = async (fastify) => {
  const config = fastify.config
  const streams = new Set<WsStream>()

  await fastify.register(websocket, {
    options: { maxPayload: config.WS_MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false },
    preClose: async function () {
      await Promise.race([
        Promise.allSettled([...streams].map(async (s) => { await s.shutdown() })),
        sleep(SHUTDOWN_WAIT_MS)
      ])
      for (const client of fastify.websocketServer.clients) client.terminate()
      await new Promise<void>((resolve) => { fastify.websocketServer.close(() => { resolve() }) })
    }
  })
  fastify.decorate('wsStreams', { getter: () => streams })
  fastify.decorateRequest('streamSession', null)
  fastify.decorateRequest('streamParams', null)

  fastify.get('/ws', {
    websocket: true,
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'WebSocket stream of alerts (frames: alert, status, error)',
      description: 'Upgrade to a WebSocket. Frames: {"type":"alert",…item}, {"type":"status",…}, {"type":"error","code","message"}. With ack=manual send {"type":"ack","topic","partition","offset"}.',
      tags: ['alerts'],
      querystring: StreamQuery
    },
    preHandler: async (request: FastifyRequest) => {
      // A plain GET must not open a consumer that no socket would ever close.
      if (!request.ws) throw new UpgradeRequired('GET /ws is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)')
      if (fastify.shuttingDown) throw new ShuttingDown('the gateway is shutting down; reconnect in a moment')
      const params = parseStreamParams(request.query as Record<string, unknown>)
      failFastIfKafkaDown(fastify)
      const credentials = request.principal.credentials
      try {
        await fastify.kafkaAdmin.ensureTopics(params.topics, credentials, OPEN_TIMEOUT_MS)
        const session = await fastify.sessions.openStream('ws', {
          principal: request.principal,
          groupId: params.groupId,
          topics: params.topics,
          start: params.start,
          timeoutMs: OPEN_TIMEOUT_MS,
          log: request.log
        })
        request.streamSession = session
        request.streamParams = params
        // If the upgrade never happens (the client left), the session must not outlive it.
        request.raw.socket.once('close', () => { session.close().catch(() => {}) })
      } catch (err) {
        throw err instanceof GatewayError ? httpErrorFor(err) : err
      }
    }
  }, (socket, request) => {
    const session = request.streamSession
    const params = request.streamParams
    if (session === null || params === null) { socket.close(CloseCode.INTERNAL, 'no session'); return }
    const stream = new WsStream(socket, session, { item: params.item, ack: params.ack, groupId: params.groupId }, fastify, session.log)
    streams.add(stream)
    stream.start().finally(() => { streams.delete(stream) }).catch(() => {})
    socket.once('close', () => { streams.delete(stream) })
  })
}

export default fp(wsRoutes, { name: 'ws-routes', fastify: '5.x', dependencies: ['kafka-sessions', 'decoder'] })
