import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** Every 15 s, about one Prometheus scrape interval: lag changes slowly and costs Kafka round trips. */
const LAG_INTERVAL_MS = 15000
/** Sessions asked for their lag at once: each asks Kafka for watermarks on libuv's thread pool. */
const LAG_CONCURRENCY = 4

interface LagSession {
  readonly transport: string
  readonly closed: boolean
  lag: () => Promise<Array<{ topic: string, lag: number }>>
}

/** The part of the session registry (src/kafka) the sampler uses. */
export interface LagRegistry<S extends LagSession> {
  list: () => S[]
  reportLag: (session: S, perTopic: ReadonlyMap<string, number>) => void
}

/**
 * Reports the lag of each open REST session to the registry, which keeps
 * `fink_gateway_consumer_lag{topic}` (the largest lag per topic among sessions; streams report
 * their own every few seconds, REST sessions have no loop of their own to do it).
 */
export async function sampleRestLag<S extends LagSession> (sessions: LagRegistry<S>, signal?: AbortSignal): Promise<void> {
  const rest = sessions.list().filter((s) => s.transport === 'rest' && !s.closed)
  for (let i = 0; i < rest.length; i += LAG_CONCURRENCY) {
    if (signal?.aborted === true) return
    const batch = rest.slice(i, i + LAG_CONCURRENCY)
    const results = await Promise.allSettled(batch.map(async (s) => await s.lag()))
    results.forEach((result, j) => {
      const session = batch[j]
      if (result.status !== 'fulfilled' || session === undefined || session.closed || result.value.length === 0) return
      const perTopic = new Map<string, number>()
      for (const { topic, lag } of result.value) perTopic.set(topic, (perTopic.get(topic) ?? 0) + lag)
      sessions.reportLag(session, perTopic)
    })
  }
}

/**
 * `GET /metrics`: the Prometheus text exposition of the app's own registry, and the periodic
 * lag sample of REST sessions (when the sessions plugin is there to ask).
 */
const metrics: FastifyPluginAsyncTypebox = async (fastify) => {
  const registry = fastify.metrics.registry
  fastify.get('/metrics', {
    logLevel: 'warn',
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }) }
    }
  }, async (_request, reply) => {
    const text = await registry.metrics()
    return reply.type(registry.contentType).send(text)
  })

  let timer: NodeJS.Timeout | undefined
  const stop = new AbortController()
  fastify.addHook('onReady', async () => {
    if (!fastify.hasDecorator('sessions')) return
    const sessions = fastify.sessions
    const tick = (): void => {
      sampleRestLag(sessions, stop.signal)
        .catch((err: unknown) => { fastify.log.warn({ err }, 'consumer lag sample failed') })
        .finally(() => {
          if (stop.signal.aborted) return
          timer = setTimeout(tick, LAG_INTERVAL_MS)
          timer.unref()
        })
    }
    timer = setTimeout(tick, LAG_INTERVAL_MS)
    timer.unref()
  })
  // not awaited: a sample in flight only asks sessions that are closing, which answer at once
  fastify.addHook('onClose', async () => {
    stop.abort()
    clearTimeout(timer)
  })
}

export default metrics
