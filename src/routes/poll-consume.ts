/**
 * GET /poll and GET /consume: fink-client's `poll(timeout)` and `consume(num_alerts, timeout)`
 * over HTTP, on a REST session kept between requests (src/kafka/session-registry.ts).
 *
 * At-least-once: the offsets of the returned alerts are committed only once the response has
 * been fully written ('finish'); if the connection closes first (the client went away while we
 * waited, or before the body was written out), nothing is committed and the session seeks back
 * so that the same alerts come with the next request.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { GatewayError, KafkaUnavailable } from '../errors.js'
import { httpErrorFor } from '../kafka/errors.js'
import type { SessionLease } from '../kafka/session-registry.js'
import type { SessionRecord } from '../kafka/session.js'
import { ConsumeQuery, PollQuery, parseConsumeParams, parsePollParams, type PollParams } from './params.js'
import { featureQuery, parseFeatureParams, type FeatureParams } from '../features/params.js'
import { ItemPipeline } from '../features/item-pipeline.js'
import { collectItems, type Collected } from '../features/rest-collect.js'
import { checkRetention, retentionWarning } from '../features/retention-check.js'
import type { RetentionGap } from '../cursor/index.js'

const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String()
}, { description: 'An error with a stable FG_ code' })

/**
 * Kafka look-ups before a session exists end a little before the client's timeout (so that an
 * unreachable cluster is a 503 within it), within [1 s, 10 s].
 */
export function kafkaTimeoutMs (clientTimeoutMs: number): number {
  return Math.min(Math.max(clientTimeoutMs - 500, 1000), 10000)
}

/**
 * One response holds at most this many bytes of Kafka message values (fewer alerts than
 * num_alerts then: "at most num_alerts"), so a large num_alerts of 80 KB alerts cannot make one
 * request hold hundreds of megabytes.
 */
export const MAX_RESPONSE_RECORD_BYTES = 16 * 1024 * 1024

/** 503 at once while the health probe knows Kafka is unreachable (after its first probe). */
export function failFastIfKafkaDown (fastify: FastifyInstance): void {
  const health = fastify.kafkaHealth
  if (health !== undefined && health.checkedAt !== null && !health.ready) {
    throw new KafkaUnavailable(`Kafka cannot be reached (${health.reason ?? 'no answer'}); retry in a moment`)
  }
}

function asHttpError (err: unknown): unknown {
  return err instanceof GatewayError ? httpErrorFor(err) : err
}

/**
 * Finds (or opens) the client's session and pulls up to `max` records before `timeoutMs`
 * passes. Returns null when the client went away meanwhile (nothing is sent then).
 */
async function pullFor (request: FastifyRequest, reply: FastifyReply, params: PollParams, max: number, features: FeatureParams):
Promise<{ lease: SessionLease, records: SessionRecord[], collected: Collected, gaps: RetentionGap[] } | null> {
  const fastify = request.server
  const started = Date.now()
  const deadline = started + params.timeoutMs
  const credentials = request.principal.credentials
  failFastIfKafkaDown(fastify)
  let lease: SessionLease
  try {
    await fastify.kafkaAdmin.ensureTopics(params.topics, credentials, kafkaTimeoutMs(params.timeoutMs), { leaveUnseenToConsumer: true })
    lease = await fastify.sessions.acquireRest({
      principal: request.principal,
      groupId: params.groupId,
      topics: params.topics,
      start: params.start,
      resume: features.resume,
      timeoutMs: kafkaTimeoutMs(params.timeoutMs),
      log: request.log
    })
  } catch (err) {
    throw asHttpError(err)
  }
  // A new session: is its resume point (cursor, else the group's commits) still held by Kafka?
  const gaps = lease.created
    ? await checkRetention(fastify, { topics: params.topics, groupId: params.groupId, start: params.start, resume: features.resume, principal: request.principal, log: request.log })
    : []
  const pipeline = new ItemPipeline({ decoding: fastify.decoder, metrics: fastify.metrics, item: params.item, features, sessionPositions: lease.session.positions() })
  const res = reply.raw
  const gone = new AbortController()
  const onClose = (): void => { gone.abort() }
  res.once('close', onClose)
  let collected: Collected
  try {
    // at shutdown a long-poll answers with what it has (and commits) instead of holding the exit
    collected = await collectItems(lease.session, pipeline, {
      want: max,
      deadline,
      signal: AbortSignal.any([gone.signal, fastify.shutdownSignal]),
      maxBytes: MAX_RESPONSE_RECORD_BYTES,
      filtering: features.filter !== null,
      bounded: features.until !== null
    })
  } catch (err) {
    // Kafka refused this session (ACLs, a missing topic): it cannot serve a later request either,
    // and must not keep a consumer (nor count against the user's sessions). Closing marks it
    // closed at once; release() then drops it from the registry.
    if (err instanceof GatewayError && !err.canRetry) lease.session.close().catch(() => {})
    lease.release()
    throw asHttpError(err)
  } finally {
    res.off('close', onClose)
  }
  const records = collected.deliver
  if (gone.signal.aborted || res.destroyed) {
    await lease.session.redeliver([...records, ...collected.putBack])
    lease.release()
    request.log.info({ undelivered: records.length }, 'client went away before the response: alerts will come again')
    return null
  }
  // Held (after `until`) or pulled beyond num_alerts: they come again with the next request.
  if (collected.putBack.length > 0) await lease.session.redeliver(collected.putBack)
  return { lease, records, collected, gaps }
}

/** Commits after the response is fully written; seeks back if the connection closes first. */
function settleOnResponse (request: FastifyRequest, reply: FastifyReply, lease: SessionLease, records: SessionRecord[], bytes: number,
  sent: readonly SessionRecord[] = records): void {
  const res = reply.raw
  const metrics = request.server.metrics
  let settled = false
  const settle = (written: boolean): void => {
    if (settled) return
    settled = true
    res.off('finish', onFinish)
    res.off('close', onClose)
    if (written) {
      lease.session.delivered(records)
      lease.release()
      // Filtered-out records are delivered (committed) but not sent: not counted as delivered alerts.
      if (sent.length > 0) {
        const perTopic = new Map<string, number>()
        for (const r of sent) perTopic.set(r.topic, (perTopic.get(r.topic) ?? 0) + 1)
        for (const [topic, count] of perTopic) metrics.alertsDeliveredTotal.inc({ transport: 'rest', topic }, count)
        metrics.bytesSentTotal.inc({ transport: 'rest' }, bytes)
      }
      return
    }
    request.log.info({ undelivered: records.length }, 'connection closed before the response was written: alerts will come again')
    lease.session.redeliver(records).catch(() => {}).finally(() => { lease.release() })
  }
  // Node also emits 'finish' when the socket is destroyed under a pending write (the client hung
  // up mid-body): only a finish on a socket still alive means the body reached the OS. The
  // socket is taken now: the server detaches it from the response on 'finish'.
  const socket = res.socket
  const onFinish = (): void => { settle(socket === null || !socket.destroyed) }
  // 'close' without 'finish' first: not all of the body reached the operating system. (Not
  // res.writableFinished: it turns true once a destroyed socket has dropped its buffer.)
  const onClose = (): void => { settle(false) }
  res.once('finish', onFinish)
  res.once('close', onClose)
}

const pollConsume: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const config = fastify.config

  app.get('/poll', {
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'One alert, or 204 when none arrived within the timeout',
      description: 'Reads from the client session of (group_id, topics), opened on first use and kept between requests. The alert\'s offset is committed once the response is written.',
      tags: ['alerts'],
      querystring: Type.Composite([PollQuery, Type.Object(featureQuery)], { additionalProperties: true }),
      response: {
        200: Type.Object({}, { additionalProperties: true, description: 'One item: {topic, partition, offset, timestamp, key, schema, alert}' }),
        204: Type.Null({ description: 'No alert arrived within the timeout' }),
        400: ErrorBody,
        404: ErrorBody,
        409: ErrorBody,
        429: ErrorBody,
        503: ErrorBody
      }
    }
  }, async (request, reply) => {
    const params = parsePollParams(request.query, config)
    const features = parseFeatureParams(request.query, params.topics, params.start)
    const pulled = await pullFor(request, reply, params, 1, features)
    if (pulled === null) return reply.hijack()
    const { lease, records, collected, gaps } = pulled
    const body = collected.items[0]
    settleOnResponse(request, reply, lease, records, body === undefined ? 0 : Buffer.byteLength(body), collected.sent)
    if (gaps.length > 0) reply.header('Fink-Retention-Gap', JSON.stringify(gaps))
    if (collected.endOfStream) reply.header('Fink-End-Of-Stream', 'true')
    if (body === undefined) return reply.code(204).send(null)
    return reply.code(200).type('application/json; charset=utf-8').send(body as never)
  })

  app.get('/consume', {
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'Up to num_alerts alerts, as soon as they are there or when the timeout passes',
      description: 'Reads from the client session of (group_id, topics), opened on first use and kept between requests. Offsets are committed once the response is written; alerts of a response that did not reach the client come again.',
      tags: ['alerts'],
      querystring: Type.Composite([ConsumeQuery, Type.Object(featureQuery)], { additionalProperties: true }),
      response: {
        200: Type.Object({
          alerts: Type.Array(Type.Object({}, { additionalProperties: true })),
          end_of_stream: Type.Optional(Type.Boolean({ description: 'With until: true once every assigned partition has passed until' })),
          warnings: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'e.g. {"warning":"retention_gap","partitions":[{topic,partition,requested,low,lost}]}' }))
        }, { description: '{"alerts": [item…]}; each item carries a "cursor"' }),
        400: ErrorBody,
        404: ErrorBody,
        409: ErrorBody,
        429: ErrorBody,
        503: ErrorBody
      }
    }
  }, async (request, reply) => {
    const params = parseConsumeParams(request.query, config)
    const features = parseFeatureParams(request.query, params.topics, params.start)
    const pulled = await pullFor(request, reply, params, params.numAlerts, features)
    if (pulled === null) return reply.hijack()
    const { lease, records, collected, gaps } = pulled
    const extra = (features.until !== null ? `,"end_of_stream":${String(collected.endOfStream)}` : '') +
      (gaps.length > 0 ? `,"warnings":[${JSON.stringify(retentionWarning(gaps))}]` : '')
    const body = `{"alerts":[${collected.items.join(',')}]${extra}}`
    settleOnResponse(request, reply, lease, records, Buffer.byteLength(body), collected.sent)
    return reply.code(200).type('application/json; charset=utf-8').send(body as never)
  })
}

export default pollConsume
