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
 * - Backpressure (src/kafka/stream-pump.ts): the pull loop asks Kafka only while socket.bufferedAmount is under
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
import { Type } from '@sinclair/typebox'
import { GatewayError, ShuttingDown, UpgradeRequired } from '../errors.js'
import { httpErrorFor } from '../kafka/errors.js'
import type { ClientSession } from '../kafka/session.js'
import { FILTERED, HELD, StreamPump, type StreamSink } from '../kafka/stream-pump.js'
import { featureQuery, parseFeatureParams, type FeatureParams } from '../features/params.js'
import { ItemPipeline } from '../features/item-pipeline.js'
import { checkRetention, retentionWarning } from '../features/retention-check.js'
import type { RetentionGap } from '../cursor/index.js'
import type { ItemOptions } from '../avro/index.js'
import { StreamQuery, parseStreamParams, type AckMode, type StreamParams } from './params.js'
import { failFastIfKafkaDown } from './poll-consume.js'

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
    /** filter, until, cursor, format (src/features) and the retention gaps found at open. */
    streamFeatures: { features: FeatureParams, gaps: RetentionGap[] } | null
  }
  interface FastifyInstance {
    /** The WebSocket streams open now (tests and diagnostics read their stats). */
    readonly wsStreams: ReadonlySet<WsStream>
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * One WebSocket connection: the transport around a StreamPump (src/kafka/stream-pump.ts) —
 * frames, the heartbeat, client messages (acks), close codes.
 */
export class WsStream {
  private stopped = false
  private alive = true
  private pingTimer: NodeJS.Timeout | null = null
  private readonly pump: StreamPump
  private done: Promise<void> = Promise.resolve()
  private readonly pipeline: ItemPipeline

  constructor (
    private readonly socket: WebSocket,
    readonly session: ClientSession,
    private readonly params: { item: ItemOptions, ack: AckMode, groupId: string | null, features: FeatureParams, gaps: RetentionGap[] },
    private readonly app: FastifyInstance,
    private readonly log: FastifyBaseLogger
  ) {
    const open = (): boolean => !this.stopped && socket.readyState === socket.OPEN
    const sink: StreamSink = {
      get open () { return open() },
      get bufferedAmount () { return socket.bufferedAmount },
      sendItem: (item, written) => {
        // format=avro: a binary frame (header length, header JSON, Avro value bytes) as it is.
        if (typeof item !== 'string') { socket.send(item, { binary: true }, written); return item.length }
        // The item is a JSON object: `{"type":"alert",` + its members, not re-serialised, and
        // encoded to UTF-8 once (ws would encode a string again after we measured it).
        const frame = Buffer.from(`{"type":"alert",${item.slice(1)}`)
        socket.send(frame, { binary: false }, written)
        return frame.length
      },
      sendStatus: (status) => { this.sendStatus(status) }
    }
    this.pipeline = new ItemPipeline({ decoding: app.decoder, metrics: app.metrics, item: params.item, features: params.features, binary: params.features.format === 'avro' })
    this.pump = new StreamPump({
      session,
      sink,
      items: async (records) => (await this.pipeline.process(records)).map((o) => o.kind === 'send' ? o.item : o.kind === 'filtered' ? FILTERED : HELD),
      isFinished: async () => await this.pipeline.untilReached(session),
      onFinished: () => { this.endOfStream() },
      config: app.config,
      metrics: app.metrics,
      registry: app.sessions,
      transport: 'ws',
      ack: params.ack,
      groupId: params.groupId,
      onStalled: () => { this.closeSlowClient() },
      onError: (err) => { this.fail(err) }
    })
  }

  get stats (): StreamPump['stats'] { return this.pump.stats }

  start (): Promise<void> {
    const { socket, app } = this
    socket.on('message', (data, isBinary) => { this.onMessage(data as Buffer, isBinary) })
    socket.on('pong', () => { this.alive = true })
    socket.on('close', () => { this.stop('client closed') })
    socket.on('error', (err) => { this.log.debug({ err }, 'websocket error'); this.stop('socket error') })
    this.pingTimer = setInterval(() => {
      if (!this.alive) {
        this.log.info('peer missed a pong: terminating')
        socket.terminate()
        this.stop('missed pong')
        return
      }
      this.alive = false
      socket.ping()
    }, app.config.WS_PING_SECONDS * 1000)
    this.pingTimer.unref()
    if (this.params.gaps.length > 0) this.sendStatus(retentionWarning(this.params.gaps))
    this.done = this.pump.start()
    return this.done
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
    this.sendStatus({
      state: 'stalled',
      message: `the client read nothing for ${seconds} s; reconnect with the same group_id to resume`,
      positions: this.session.positions()
    })
    this.close(CloseCode.STALLED, 'client too slow')
  }

  /** Bounded replay done: every partition passed `until`. */
  private endOfStream (): void {
    this.sendStatus({ state: 'end_of_stream', end_of_stream: true, sent: this.pipeline.stats.sent, filtered: this.pipeline.stats.filtered, cursor: this.pipeline.cursor() })
    this.close(CloseCode.NORMAL, 'end of stream')
  }

  private fail (err: unknown): void {
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

  /** Idempotent: stops the pump and the heartbeat, then closes the session (commits what was sent). */
  private stop (reason: string): void {
    if (this.stopped) return
    this.stopped = true
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    this.pingTimer = null
    this.pump.stop()
    this.log.debug({ reason, stats: this.pump.stats, caughtUp: this.pump.caughtUp }, 'stream stopped')
    // The pump may be inside a pull: the session waits for it before disconnecting.
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
  fastify.decorateRequest('streamFeatures', null)

  fastify.get('/ws', {
    websocket: true,
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'WebSocket stream of alerts (frames: alert, status, error)',
      description: 'Upgrade to a WebSocket. Frames: {"type":"alert",…item}, {"type":"status",…}, {"type":"error","code","message"}. With ack=manual send {"type":"ack","topic","partition","offset"}.',
      tags: ['alerts'],
      querystring: Type.Composite([StreamQuery, Type.Object(featureQuery)], { additionalProperties: true })
    },
    preHandler: async (request: FastifyRequest) => {
      // A plain GET must not open a consumer that no socket would ever close.
      if (!request.ws) throw new UpgradeRequired('GET /ws is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)')
      if (fastify.shuttingDown) throw new ShuttingDown('the gateway is shutting down; reconnect in a moment')
      const params = parseStreamParams(request.query as Record<string, unknown>)
      const features = parseFeatureParams(request.query as Record<string, unknown>, params.topics, params.start)
      failFastIfKafkaDown(fastify)
      const credentials = request.principal.credentials
      try {
        await fastify.kafkaAdmin.ensureTopics(params.topics, credentials, OPEN_TIMEOUT_MS)
        const session = await fastify.sessions.openStream('ws', {
          principal: request.principal,
          groupId: params.groupId,
          topics: params.topics,
          start: params.start,
          resume: features.resume,
          timeoutMs: OPEN_TIMEOUT_MS,
          log: request.log
        })
        request.streamSession = session
        request.streamParams = params
        const gaps = await checkRetention(fastify, { topics: params.topics, groupId: params.groupId, start: params.start, resume: features.resume, principal: request.principal, log: request.log })
        request.streamFeatures = { features, gaps }
        // If the upgrade never happens (the client left), the session must not outlive it.
        request.raw.socket.once('close', () => { session.close().catch(() => {}) })
      } catch (err) {
        throw err instanceof GatewayError ? httpErrorFor(err) : err
      }
    }
  }, (socket, request) => {
    const session = request.streamSession
    const params = request.streamParams
    const extra = request.streamFeatures
    if (session === null || params === null || extra === null) { socket.close(CloseCode.INTERNAL, 'no session'); return }
    const stream = new WsStream(socket, session, { item: params.item, ack: params.ack, groupId: params.groupId, ...extra }, fastify, session.log)
    streams.add(stream)
    stream.start().finally(() => { streams.delete(stream) }).catch(() => {})
    socket.once('close', () => { streams.delete(stream) })
  })
}

export default fp(wsRoutes, { name: 'ws-routes', fastify: '5.x', dependencies: ['kafka-sessions', 'decoder'] })
