/**
 * Permalinks: GET /alerts/{topic}/{partition}/{offset} (that one alert as an item) and
 * GET /alerts/{topic}/{partition}/{offset}/cutouts/{science|template|difference}.png.
 *
 * No group is involved and nothing is committed: the message is read by a short-lived assigned
 * consumer (src/kafka/admin.ts fetchOne), bounded by a timeout; 404 when the offset is outside
 * the partition's watermarks. The dashboard loads an alert and then its three cutouts, so the
 * last few fetched records are kept in a small bounded cache (by count and age) per principal
 * identity; a Kafka record at an offset never changes, so responses are cacheable by browsers.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { BadParameter, GatewayError, NotFound } from '../errors.js'
import { httpErrorFor } from '../kafka/errors.js'
import { recordOf, type SessionRecord } from '../kafka/session.js'
import { renderCutoutPng, CutoutError } from '../render/cutout.js'
import { parseItemOptions } from './params.js'

const FETCH_TIMEOUT_MS = 10000
const CACHE_ENTRIES = 32
const CACHE_TTL_MS = 60000
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/
const NON_NEGATIVE_INT = /^\d{1,15}$/
const CUTOUT_FIELDS = { science: 'cutoutScience', template: 'cutoutTemplate', difference: 'cutoutDifference' } as const
type CutoutKind = keyof typeof CUTOUT_FIELDS

/** Recently fetched records, least recently used dropped first; in-flight fetches are shared. */
class RecordCache {
  private readonly entries = new Map<string, { at: number, record: Promise<SessionRecord | null> }>()

  async get (key: string, fetch: () => Promise<SessionRecord | null>): Promise<SessionRecord | null> {
    const now = Date.now()
    const hit = this.entries.get(key)
    if (hit !== undefined && now - hit.at < CACHE_TTL_MS) {
      this.entries.delete(key)
      this.entries.set(key, hit)
      return await hit.record
    }
    const record = fetch()
    this.entries.set(key, { at: now, record })
    while (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value as string)
    // Failures and misses are not kept: the next request asks Kafka again.
    record.then((r) => { if (r === null) this.entries.delete(key) }, () => { this.entries.delete(key) })
    return await record
  }
}

interface Location { topic: string, partition: number, offset: number }

function parseLocation (params: { topic: string, partition: string, offset: string }): Location {
  if (!TOPIC_NAME.test(params.topic)) throw new BadParameter(`${JSON.stringify(params.topic)} is not a valid Kafka topic name`)
  if (!NON_NEGATIVE_INT.test(params.partition)) throw new BadParameter(`partition ${JSON.stringify(params.partition)} is not a non-negative integer`)
  if (!NON_NEGATIVE_INT.test(params.offset)) throw new BadParameter(`offset ${JSON.stringify(params.offset)} is not a non-negative integer`)
  return { topic: params.topic, partition: Number(params.partition), offset: Number(params.offset) }
}

const LocationParams = Type.Object({ topic: Type.String(), partition: Type.String(), offset: Type.String() })
const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

const alertsRoutes: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const cache = new RecordCache()

  const recordAt = async (request: FastifyRequest, where: Location): Promise<SessionRecord> => {
    const credentials = request.principal.credentials
    const key = JSON.stringify([request.principal.name, where.topic, where.partition, where.offset])
    let record: SessionRecord | null
    try {
      record = await cache.get(key, async () => {
        const message = await fastify.kafkaAdmin.fetchOne(where.topic, where.partition, where.offset, credentials, FETCH_TIMEOUT_MS)
        return message === null ? null : recordOf(message)
      })
    } catch (err) {
      throw err instanceof GatewayError ? httpErrorFor(err) : err
    }
    if (record === null) throw new NotFound(`${where.topic} has no message at partition ${where.partition} offset ${where.offset} (outside the partition's retained offsets)`)
    return record
  }

  app.get('/alerts/:topic/:partition/:offset', {
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'One alert by its Kafka coordinates (a permalink; nothing is committed)',
      tags: ['alerts'],
      params: LocationParams,
      querystring: Type.Object({
        exclude: Type.Optional(Type.String({ description: 'Comma-separated top-level fields to drop; `cutouts` means the three cutouts' })),
        int64: Type.Optional(Type.String({ description: '`number` (default) or `string`' }))
      }, { additionalProperties: true }),
      response: {
        200: Type.Object({}, { additionalProperties: true, description: 'One item' }),
        400: ErrorBody,
        404: ErrorBody,
        503: ErrorBody
      }
    }
  }, async (request, reply) => {
    const where = parseLocation(request.params)
    const options = parseItemOptions(request.query as Record<string, unknown>)
    const record = await recordAt(request, where)
    const item = await fastify.decoder.item(record, options)
    return reply.type('application/json; charset=utf-8').header('cache-control', 'private, max-age=3600').send(item as never)
  })

  app.get('/alerts/:topic/:partition/:offset/cutouts/:name', {
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'A cutout of one alert as a PNG image (science, template or difference)',
      tags: ['alerts'],
      params: Type.Object({ topic: Type.String(), partition: Type.String(), offset: Type.String(), name: Type.String({ description: 'science.png, template.png or difference.png' }) }),
      response: { 400: ErrorBody, 404: ErrorBody, 422: ErrorBody, 503: ErrorBody }
    }
  }, async (request, reply) => {
    const where = parseLocation(request.params)
    const match = /^(science|template|difference)\.png$/.exec(request.params.name)
    if (match === null) throw new NotFound(`no cutout ${JSON.stringify(request.params.name)}: use science.png, template.png or difference.png`)
    const kind = match[1] as CutoutKind
    const record = await recordAt(request, where)
    let decoded
    try {
      decoded = await fastify.decoder.decoder.decode(record)
    } catch (err) {
      throw new NotFound(`the alert at ${where.topic}/${where.partition}/${where.offset} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`)
    }
    const stamp = stampOf(decoded.alert, CUTOUT_FIELDS[kind])
    if (stamp === null) throw new NotFound(`the alert at ${where.topic}/${where.partition}/${where.offset} has no ${kind} cutout`)
    let png: Buffer
    try {
      png = renderCutoutPng(stamp)
    } catch (err) {
      if (err instanceof CutoutError) {
        const error = new Error(err.message) as Error & { statusCode: number, code: string }
        error.statusCode = 422
        error.code = err.code
        throw error
      }
      throw err
    }
    return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png as never)
  })
}

/** A cutout's bytes: ZTF `{stampData: bytes}` records, or LSST plain `bytes`. */
function stampOf (alert: unknown, field: string): Buffer | null {
  if (alert === null || typeof alert !== 'object') return null
  const value = (alert as Record<string, unknown>)[field]
  if (Buffer.isBuffer(value)) return value
  if (value !== null && typeof value === 'object') {
    const data = (value as Record<string, unknown>).stampData
    if (Buffer.isBuffer(data)) return data
  }
  return null
}

export default alertsRoutes
