import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Gauge } from 'prom-client'

/** Every 15 s, about one Prometheus scrape interval: lag changes slowly and costs Kafka round trips. */
const LAG_INTERVAL_MS = 15000
/** Sessions asked for their lag at once: each asks Kafka for watermarks on libuv's thread pool. */
const LAG_CONCURRENCY = 4

interface LagSource {
  list: () => Array<{ lag: () => Promise<Array<{ topic: string, lag: number }>> }>
}

/**
 * Sets `fink_gateway_consumer_lag{topic}` to the largest lag among the open sessions reading
 * each topic; topics no session reads any more are removed, so the gauge never goes stale.
 */
export async function sampleConsumerLag (sessions: LagSource, gauge: Gauge<'topic'>, signal?: AbortSignal): Promise<void> {
  const open = sessions.list()
  const largest = new Map<string, number>()
  for (let i = 0; i < open.length; i += LAG_CONCURRENCY) {
    if (signal?.aborted === true) return
    const batch = await Promise.allSettled(open.slice(i, i + LAG_CONCURRENCY).map(async (s) => await s.lag()))
    for (const result of batch) {
      if (result.status !== 'fulfilled') continue
      for (const { topic, lag } of result.value) largest.set(topic, Math.max(largest.get(topic) ?? 0, lag))
    }
  }
  gauge.reset()
  for (const [topic, lag] of largest) gauge.set({ topic }, lag)
}

/**
 * `GET /metrics`: the Prometheus text exposition of the app's own registry, and the periodic
 * consumer lag sample (when the sessions plugin is there to ask).
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
    const sessions = (fastify as unknown as { sessions?: LagSource }).sessions
    if (sessions === undefined || typeof sessions.list !== 'function') return
    const tick = (): void => {
      sampleConsumerLag(sessions, fastify.metrics.consumerLag, stop.signal)
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
