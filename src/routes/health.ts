import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { KafkaHealthState } from '../plugins/kafka-health.js'

const Liveness = Type.Object({ status: Type.Literal('ok') })

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  /** Why not ready: `shutting down` or `kafka unreachable: …`; absent when ready. */
  reason: Type.Optional(Type.String()),
  kafka: Type.Object({
    reachable: Type.Boolean(),
    method: Type.String({ description: 'metadata request, or tcp when the gateway has no Kafka identity' }),
    checkedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    error: Type.Optional(Type.String())
  }),
  shuttingDown: Type.Boolean()
})

export type ReadinessReport = Static<typeof Readiness>

/** Ready when Kafka answered the last probe and no shutdown has begun; otherwise says why. */
export function readinessReport (kafka: KafkaHealthState, shuttingDown: boolean): ReadinessReport {
  const ready = kafka.ready && !shuttingDown
  const reason = shuttingDown
    ? 'shutting down'
    : kafka.ready ? undefined : `kafka unreachable: ${kafka.reason ?? 'unknown'}`
  return {
    status: ready ? 'ready' : 'not ready',
    ...(reason !== undefined ? { reason } : {}),
    kafka: {
      reachable: kafka.ready,
      method: kafka.method,
      checkedAt: kafka.checkedAt === null ? null : new Date(kafka.checkedAt).toISOString(),
      ...(kafka.ready || kafka.reason === null ? {} : { error: kafka.reason })
    },
    shuttingDown
  }
}

/**
 * Probes. `/healthz`: the process answers (liveness: restart only if this fails). `/readyz`:
 * 200 when Kafka was reachable at the last probe and no shutdown has begun, else 503 with the
 * reason (readiness: take the pod out of the Service, never restart it).
 */
const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/healthz', {
    logLevel: 'warn',
    schema: {
      tags: ['operations'],
      summary: 'Liveness: the process is alive',
      response: { 200: Liveness }
    }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/readyz', {
    logLevel: 'warn',
    schema: {
      tags: ['operations'],
      summary: 'Readiness: Kafka reachable and not shutting down',
      response: { 200: Readiness, 503: Readiness }
    }
  }, async (_request, reply) => {
    const report = readinessReport(fastify.kafkaHealth, fastify.shuttingDown)
    return reply.code(report.status === 'ready' ? 200 : 503).send(report)
  })
}

export default health
