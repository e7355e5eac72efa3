import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayMetrics } from '../../src/metrics.js'
import httpMetrics, { UNMATCHED_ROUTE } from '../../src/plugins/http-metrics.js'

async function buildWithMetrics (): Promise<{ fastify: ReturnType<typeof Fastify>, metrics: GatewayMetrics }> {
  const metrics = new GatewayMetrics()
  const fastify = Fastify({ logger: false })
  await fastify.register(fp(async (instance) => { instance.decorate('metrics', metrics) }))
  await fastify.register(httpMetrics)
  fastify.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }))
  fastify.get('/fail', async () => { throw new Error('boom') })
  fastify.get('/slow', async () => { await sleep(50); return 'done' })
  await fastify.ready()
  return { fastify, metrics }
}

async function counts (metrics: GatewayMetrics): Promise<Map<string, number>> {
  const { values } = await metrics.requestDuration.get()
  const result = new Map<string, number>()
  for (const v of values) {
    if (v.metricName !== 'fink_gateway_http_request_duration_seconds_count') continue
    result.set(`${String(v.labels.method)} ${String(v.labels.route)} ${String(v.labels.status_code)}`, v.value)
  }
  return result
}

test('request durations are labelled by route pattern, never by the raw URL', async (t) => {
  const { fastify, metrics } = await buildWithMetrics()
  t.after(() => fastify.close())
  for (const id of ['1', '2', 'three']) await fastify.inject({ url: `/items/${id}?q=${id}` })
  await fastify.inject({ url: '/fail' })
  await fastify.inject({ url: '/nothing/here/42' })
  await fastify.inject({ url: '/nothing/else' })
  await fastify.inject({ method: 'PROPFIND' as 'GET', url: '/items/1' })
  assert.deepEqual(Object.fromEntries(await counts(metrics)), {
    'GET /items/:id 200': 3,
    'GET /fail 500': 1,
    [`GET ${UNMATCHED_ROUTE} 404`]: 2,
    [`OTHER ${UNMATCHED_ROUTE} 404`]: 1
  })
})

test('observations are in seconds, not milliseconds', async (t) => {
  const { fastify, metrics } = await buildWithMetrics()
  t.after(() => fastify.close())
  await fastify.inject({ url: '/slow' })
  const { values } = await metrics.requestDuration.get()
  const sum = values.find((v) => v.metricName === 'fink_gateway_http_request_duration_seconds_sum')?.value
  // the handler waits 50 ms: 0.05 or more in seconds; in milliseconds it would be 50 or more
  assert.ok(sum !== undefined && sum >= 0.05 && sum < 10, `sum ${String(sum)} is not a duration in seconds`)
})
