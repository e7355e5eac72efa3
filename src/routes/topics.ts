/**
 * GET /topics: the topics this client may read, grouped as fink-client groups them:
 * `ftransfer_…` → datatransfer, `fxmatch_…` → xmatch, everything else → livestream; Kafka's
 * internal topics (`__…`) and Data Transfer schema companions (`…_schema`) are hidden.
 * The listing uses the principal's own Kafka credentials in AUTH_MODE=kafka, so Kafka's ACLs
 * decide what a user sees.
 *
 * GET /topics/{topic}/offsets?group_id=…: per partition the group's committed offset (null when
 * it has none), the low and high watermarks and the lag. Without group_id: committed is null and
 * the lag counts from the low watermark.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { BadParameter, GatewayError } from '../errors.js'
import { httpErrorFor } from '../kafka/errors.js'
import { parseGroupId } from './params.js'

const LOOKUP_TIMEOUT_MS = 5000
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/

export interface TopicGroups { livestream: string[], datatransfer: string[], xmatch: string[] }

export function groupTopics (names: readonly string[]): TopicGroups {
  const groups: TopicGroups = { livestream: [], datatransfer: [], xmatch: [] }
  const all = new Set(names)
  for (const name of [...names].sort()) {
    if (name.startsWith('__') || name.startsWith('_')) continue
    if (name.endsWith('_schema') && (all.has(name.slice(0, -'_schema'.length)) || name.startsWith('ftransfer_'))) continue
    if (name.startsWith('ftransfer_')) groups.datatransfer.push(name)
    else if (name.startsWith('fxmatch_')) groups.xmatch.push(name)
    else groups.livestream.push(name)
  }
  return groups
}

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

const topicsRoutes: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/topics', {
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'Topics you may read, grouped livestream / datatransfer / xmatch',
      tags: ['topics'],
      response: {
        200: Type.Object({
          livestream: Type.Array(Type.String()),
          datatransfer: Type.Array(Type.String()),
          xmatch: Type.Array(Type.String())
        }),
        503: ErrorBody
      }
    }
  }, async (request) => {
    try {
      const topics = await fastify.kafkaAdmin.listTopics(request.principal.credentials, LOOKUP_TIMEOUT_MS)
      return groupTopics(topics.map((t) => t.name))
    } catch (err) {
      throw err instanceof GatewayError ? httpErrorFor(err) : err
    }
  })

  app.get('/topics/:topic/offsets', {
    // Parameters are checked by params.ts with messages of their own (a repeated one too).
    attachValidation: true,
    schema: {
      summary: 'Per partition: the group\'s committed offset, the watermarks and the lag',
      tags: ['topics'],
      params: Type.Object({ topic: Type.String() }),
      querystring: Type.Object({ group_id: Type.Optional(Type.String({ description: 'The consumer group whose committed offsets to show' })) }, { additionalProperties: true }),
      response: {
        200: Type.Object({
          topic: Type.String(),
          group_id: Type.Union([Type.String(), Type.Null()]),
          partitions: Type.Array(Type.Object({
            partition: Type.Integer(),
            committed: Type.Union([Type.Integer(), Type.Null()]),
            low: Type.Integer(),
            high: Type.Integer(),
            lag: Type.Integer()
          }))
        }),
        400: ErrorBody,
        404: ErrorBody,
        503: ErrorBody
      }
    }
  }, async (request) => {
    const { topic } = request.params
    if (!TOPIC_NAME.test(topic)) throw new BadParameter(`${JSON.stringify(topic)} is not a valid Kafka topic name`)
    const groupId = parseGroupId(request.query as Record<string, unknown>, false)
    const credentials = request.principal.credentials
    try {
      if (groupId === null) {
        const known = await fastify.kafkaAdmin.ensureTopics([topic], credentials, LOOKUP_TIMEOUT_MS)
        const partitions = await Promise.all(Array.from({ length: known.get(topic) ?? 0 }, async (_, partition) => {
          const { low, high } = await fastify.kafkaAdmin.watermarks(topic, partition, credentials, LOOKUP_TIMEOUT_MS)
          return { partition, committed: null, low, high, lag: high - low }
        }))
        return { topic, group_id: null, partitions }
      }
      const partitions = await fastify.kafkaAdmin.groupOffsets(topic, groupId, credentials, LOOKUP_TIMEOUT_MS)
      return { topic, group_id: groupId, partitions }
    } catch (err) {
      throw err instanceof GatewayError ? httpErrorFor(err) : err
    }
  })
}

export default topicsRoutes
