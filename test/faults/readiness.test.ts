/**
 * Readiness follows Kafka: the project's local Kafka is stopped and started again, and /readyz
 * must turn 503 within 10 s of the broker going away and 200 again once it is back. Runs only
 * in `npm run test:faults` (one file at a time, after the main suite): stopping the broker
 * would break every concurrent test.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { LOCAL_PLAINTEXT, kafkaStatus, startKafka, stopKafka } from '../../scripts/kafka.js'
import { buildApp } from '../helpers/app.js'

const TURNS_503_WITHIN_MS = 10000

/** scripts/kafka.ts starts nothing while KAFKA_BROKERS is set (it means "someone else's Kafka"). */
async function startLocalKafka (): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS
  delete process.env.KAFKA_BROKERS
  try {
    await startKafka()
  } finally {
    process.env.KAFKA_BROKERS = brokers
  }
}

/** Polls /readyz until it answers `status`; returns how long that took, or throws after `withinMs`. */
async function readyzBecomes (app: FastifyInstance, status: number, withinMs: number): Promise<number> {
  const started = Date.now()
  let last: { statusCode: number, body: string } = { statusCode: 0, body: '' }
  while (Date.now() - started <= withinMs) {
    last = await app.inject({ url: '/readyz' })
    if (last.statusCode === status) return Date.now() - started
    await sleep(200)
  }
  throw new Error(`/readyz did not answer ${status} within ${withinMs} ms; last: ${last.statusCode} ${last.body}`)
}

test('/readyz turns 503 within 10 s of Kafka stopping, and 200 again when it is back', { timeout: 240000 }, async (t) => {
  if (process.env.KAFKA_BROKERS !== LOCAL_PLAINTEXT || !(await kafkaStatus()).running) {
    t.skip(`needs the project's own local Kafka (${LOCAL_PLAINTEXT}), which this test stops: run it with npm run test:faults`)
    return
  }
  const app = await buildApp(t)
  await readyzBecomes(app, 200, 15000)

  let stopped = false
  t.after(async () => { if (stopped) await startLocalKafka() })
  await stopKafka()
  stopped = true
  const tookMs = await readyzBecomes(app, 503, TURNS_503_WITHIN_MS)
  const body = (await app.inject({ url: '/readyz' })).json<{ reason: string, kafka: { reachable: boolean } }>()
  assert.match(body.reason, /^kafka unreachable: /)
  assert.equal(body.kafka.reachable, false)
  t.diagnostic(`503 ${tookMs} ms after the broker stopped`)

  await startLocalKafka()
  stopped = false
  const backMs = await readyzBecomes(app, 200, 30000)
  t.diagnostic(`200 again ${backMs} ms after the broker was back`)
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'liveness never depended on Kafka')
})
