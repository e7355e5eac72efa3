import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { readinessReport } from '../../src/routes/health.js'
import { buildApp } from '../helpers/app.js'

/** A local port nothing listens on: bound once by us, then released. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** /readyz until its status is `want` or `withinMs` passes; returns the last answer. */
async function readyzUntil (app: FastifyInstance, want: number, withinMs: number): Promise<{ statusCode: number, body: Record<string, unknown> }> {
  const deadline = Date.now() + withinMs
  for (;;) {
    const response = await app.inject({ url: '/readyz' })
    const answer = { statusCode: response.statusCode, body: response.json<Record<string, unknown>>() }
    if (answer.statusCode === want || Date.now() > deadline) return answer
    await sleep(200)
  }
}

test('/healthz answers 200 while the process runs', async (t) => {
  const app = await buildApp(t)
  const response = await app.inject({ url: '/healthz' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok' })
})

test('/readyz is 200 once Kafka has answered a probe', async (t) => {
  const app = await buildApp(t)
  const answer = await readyzUntil(app, 200, 10000)
  assert.equal(answer.statusCode, 200, JSON.stringify(answer.body))
  assert.equal(answer.body.status, 'ready')
  assert.equal(answer.body.shuttingDown, false)
  const kafka = answer.body.kafka as Record<string, unknown>
  assert.equal(kafka.reachable, true)
  assert.equal(kafka.method, 'metadata')
  assert.equal(typeof kafka.checkedAt, 'string')
})

test('/readyz is 503 and says why when no broker answers', async (t) => {
  const app = await buildApp(t, { KAFKA_BROKERS: `127.0.0.1:${await closedPort()}` })
  // before the first probe has finished it is 503 too: wait for a probe's verdict
  const deadline = Date.now() + 10000
  let answer = await readyzUntil(app, 503, 0)
  while ((answer.body.kafka as Record<string, unknown>).checkedAt === null && Date.now() < deadline) {
    await sleep(200)
    answer = await readyzUntil(app, 503, 0)
  }
  assert.equal(answer.statusCode, 503)
  assert.equal(answer.body.status, 'not ready')
  assert.match(String(answer.body.reason), /^kafka unreachable: /)
  const kafka = answer.body.kafka as Record<string, unknown>
  assert.equal(kafka.reachable, false)
  assert.equal(typeof kafka.error, 'string')
  assert.notEqual(kafka.checkedAt, null)
})

test('readiness says "shutting down" during shutdown even with Kafka reachable', () => {
  const kafka = { ready: true, reason: null, checkedAt: Date.now(), method: 'metadata' as const }
  assert.equal(readinessReport(kafka, false).status, 'ready')
  const report = readinessReport(kafka, true)
  assert.equal(report.status, 'not ready')
  assert.equal(report.reason, 'shutting down')
  assert.equal(report.shuttingDown, true)
})
