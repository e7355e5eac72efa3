/**
 * GET /sse: the stream of /ws as Server-Sent Events, for `EventSource` clients (same query
 * parameters, same session, StreamPump loop).
 *
 * Events: `event: alert` with `id:` = the item's cursor and `data:` = the item JSON;
 * `event: status` (started, streaming, warning, stalled, end_of_stream, closed);
 * `event: error` ({code, message}); `event: end` after a bounded replay (`until`) is complete
 * (then the server closes the response; a client should not reconnect after it — after any
 * other close, stall or shutdown, an EventSource reconnects with Last-Event-ID by itself). A comment line `: heartbeat` every 20 s keeps proxies
 * from closing an idle stream. A reconnecting EventSource sends the last id back as
 * `Last-Event-ID`, which resumes exactly after the last alert received (it wins over `cursor`).
 *
 * Decisions:
 * - Everything that can fail (parameters, filter, cursor, topics, the session) is checked before
 *   the response starts: errors are plain HTTP errors (400/401/404/429/503) with JSON bodies.
 * - Backpressure: the response's buffered bytes (writableLength: the response's and the
 *   socket's) play the role of the WebSocket's bufferedAmount; above WS_MAX_BUFFERED_BYTES for
 *   WS_STALL_SECONDS the client gets a "stalled" status and the response ends.
 * - ack is always auto (an EventSource cannot send acks); `ack=manual` is a 400.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { ServerResponse } from 'node:http'
import { Type } from '@sinclair/typebox'
import { BadParameter, GatewayError, ShuttingDown } from '../errors.js'
import { httpErrorFor } from '../kafka/errors.js'
import type { ClientSession } from '../kafka/session.js'
import { FILTERED, HELD, StreamPump, type StreamSink } from '../kafka/stream-pump.js'
import type { ItemOptions } from '../avro/index.js'
import type { RetentionGap } from '../cursor/index.js'
import { featureQuery, parseFeatureParams, type FeatureParams } from '../features/params.js'
import { ItemPipeline } from '../features/item-pipeline.js'
import { checkRetention, retentionWarning } from '../features/retention-check.js'
import { StreamQuery, parseStreamParams } from './params.js'
import { failFastIfKafkaDown } from './poll-consume.js'

const OPEN_TIMEOUT_MS = 10000
export const SSE_HEARTBEAT_MS = 20000
/** What an EventSource waits before reconnecting after a dropped connection. */
const RETRY_MS = 2000
const SHUTDOWN_WAIT_MS = 5000
const CURSOR_MEMBER = ',"cursor":"'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** The `id:` of an item: its cursor, the last member of the item text (see src/features/item-pipeline.ts). */
function cursorOf (item: string): string {
  const at = item.lastIndexOf(CURSOR_MEMBER)
  return at < 0 ? '' : item.slice(at + CURSOR_MEMBER.length, -2)
}

export class SseStream {
  private stopped = false
  private heartbeat: NodeJS.Timeout | null = null
  private readonly pump: StreamPump
  private readonly pipeline: ItemPipeline
  private done: Promise<void> = Promise.resolve()

  constructor (
    private readonly res: ServerResponse,
    readonly session: ClientSession,
    private readonly params: { item: ItemOptions, groupId: string | null, features: FeatureParams, gaps: RetentionGap[] },
    app: FastifyInstance,
    private readonly log: FastifyBaseLogger
  ) {
    const open = (): boolean => !this.stopped && !res.destroyed && !res.writableEnded
    const sink: StreamSink = {
      get open () { return open() },
      get bufferedAmount () { return res.writableLength },
      sendItem: (item, written) => {
        const text = typeof item === 'string'
          ? `event: alert\nid: ${cursorOf(item)}\ndata: ${item}\n\n`
          : `event: alert\ndata: ${item.toString('base64')}\n\n`
        res.write(text, written)
        return Buffer.byteLength(text)
      },
      sendStatus: (status) => { this.event('status', { type: 'status', ...status }) }
    }
    this.pipeline = new ItemPipeline({ decoding: app.decoder, metrics: app.metrics, item: params.item, features: params.features })
    this.pump = new StreamPump({
      session,
      sink,
      items: async (records) => (await this.pipeline.process(records)).map((o) => o.kind === 'send' ? o.item : o.kind === 'filtered' ? FILTERED : HELD),
      isFinished: async () => await this.pipeline.untilReached(session),
      onFinished: () => { this.end({ state: 'end_of_stream', end_of_stream: true, sent: this.pipeline.stats.sent, filtered: this.pipeline.stats.filtered, cursor: this.pipeline.cursor() }, true) },
      config: app.config,
      metrics: app.metrics,
      registry: app.sessions,
      transport: 'sse',
      ack: 'auto',
      groupId: params.groupId,
      onStalled: () => {
        this.end({ state: 'stalled', message: `the client read nothing for ${app.config.WS_STALL_SECONDS} s; reconnect with Last-Event-ID (or the same group_id) to resume`, positions: session.positions() })
      },
      onError: (err) => {
        const code = err instanceof GatewayError ? err.code : 'FG_INTERNAL'
        this.log.warn({ err }, 'stream failed')
        this.event('error', { type: 'error', code, message: err instanceof Error ? err.message : String(err) })
        this.end(null)
      }
    })
  }

  get stats (): StreamPump['stats'] { return this.pump.stats }

  start (): Promise<void> {
    const { res } = this
    res.on('close', () => { this.stop('client closed') })
    res.write(`retry: ${RETRY_MS}\n\n`)
    this.heartbeat = setInterval(() => { if (!res.writableEnded && !res.destroyed) res.write(': heartbeat\n\n') }, SSE_HEARTBEAT_MS)
    this.heartbeat.unref()
    if (this.params.gaps.length > 0) this.event('status', { type: 'status', ...retentionWarning(this.params.gaps) })
    this.done = this.pump.start()
    return this.done
  }

  private event (name: string, data: Record<string, unknown>): void {
    if (this.res.writableEnded || this.res.destroyed) return
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  /**
   * A last status (when given), then the response ends and the session closes. `final`: an
   * `event: end` first, telling the client not to reconnect (a bounded replay is complete);
   * otherwise (stall, error, shutdown) an EventSource reconnects with Last-Event-ID by itself.
   */
  end (status: Record<string, unknown> | null, final = false): void {
    if (status !== null) this.event('status', { type: 'status', ...status })
    if (final) this.event('end', { type: 'end' })
    if (!this.res.writableEnded) this.res.end()
    this.stop('ended')
  }

  async shutdown (): Promise<void> {
    this.end({ state: 'closed', reason: 'the gateway is shutting down; reconnect with Last-Event-ID to resume', positions: this.session.positions() })
    await this.done
    await this.session.close()
  }

  private stop (reason: string): void {
    if (this.stopped) return
    this.stopped = true
    if (this.heartbeat !== null) clearInterval(this.heartbeat)
    this.heartbeat = null
    this.pump.stop()
    this.log.debug({ reason, stats: this.pump.stats }, 'sse stream stopped')
    this.done.finally(() => this.session.close()).catch(() => {})
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The SSE streams open now. */
    readonly sseStreams: ReadonlySet<SseStream>
  }
}

const sseRoutes: FastifyPluginAsync = async (fastify) => {
  const streams = new Set<SseStream>()
  fastify.decorate('sseStreams', { getter: () => streams })
  fastify.addHook('preClose', async () => {
    await Promise.race([Promise.allSettled([...streams].map(async (s) => { await s.shutdown() })), sleep(SHUTDOWN_WAIT_MS)])
  })

  fastify.get('/sse', {
    // Parameters are checked by params.ts and features/params.ts with messages of their own.
    attachValidation: true,
    schema: {
      summary: 'Server-Sent Events stream of alerts (events: alert, status, error, end)',
      description: 'For EventSource clients. `event: alert` (id: the cursor after the alert, data: the item JSON), `event: status`, `event: error`, `event: end`. ' +
        'Reconnecting with `Last-Event-ID` resumes exactly after the last alert received. Heartbeat comments every 20 s. ack is always auto.',
      tags: ['alerts'],
      querystring: Type.Composite([StreamQuery, Type.Object(featureQuery)], { additionalProperties: true }),
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ description: 'The id of the last alert event received (its cursor)' })) }, { additionalProperties: true })
    }
  }, async (request: FastifyRequest, reply: FastifyReply) => {
    if (fastify.shuttingDown) throw new ShuttingDown('the gateway is shutting down; reconnect in a moment')
    const query = request.query as Record<string, unknown>
    const params = parseStreamParams(query)
    if (params.ack === 'manual') throw new BadParameter('ack=manual is not available on /sse (an EventSource cannot send acks): use /ws')
    const features = parseFeatureParams(query, params.topics, params.start, request.headers['last-event-id'])
    failFastIfKafkaDown(fastify)
    let session: ClientSession
    let gaps: RetentionGap[]
    try {
      await fastify.kafkaAdmin.ensureTopics(params.topics, request.principal.credentials, OPEN_TIMEOUT_MS)
      session = await fastify.sessions.openStream('sse', {
        principal: request.principal,
        groupId: params.groupId,
        topics: params.topics,
        start: params.start,
        resume: features.resume,
        timeoutMs: OPEN_TIMEOUT_MS,
        log: request.log
      })
    } catch (err) {
      throw err instanceof GatewayError ? httpErrorFor(err) : err
    }
    try {
      gaps = await checkRetention(fastify, { topics: params.topics, groupId: params.groupId, start: params.start, resume: features.resume, principal: request.principal, log: request.log })
    } catch (err) {
      await session.close()
      throw err
    }
    reply.hijack()
    if (request.raw.destroyed) { await session.close(); return }
    // Headers set by earlier hooks (CORS…) go out with the stream's own.
    const res = reply.raw
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    const stream = new SseStream(res, session, { item: params.item, groupId: params.groupId, features, gaps }, fastify, session.log)
    streams.add(stream)
    stream.start().finally(() => { streams.delete(stream) }).catch(() => {})
  })
}

export default fp(sseRoutes, { name: 'sse-routes', fastify: '5.x', dependencies: ['kafka-sessions', 'decoder'] })
