import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { TestContext } from 'node:test'
import { loadConfig } from '../../src/config.js'
import kafkaHealth, { parseBrokers, type KafkaHealthState } from '../../src/plugins/kafka-health.js'
import { KAFKA_BROKERS } from '../helpers/app.js'

async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function buildProbed (t: TestContext, env: Record<string, string>): Promise<FastifyInstance> {
  const fastify = Fastify({ logger: false })
  await fastify.register(fp(async (instance) => { instance.decorate('config', loadConfig(env)) }))
  await fastify.register(kafkaHealth, { intervalMs: 200, timeoutMs: 1500 })
  await fastify.ready()
  t.after(() => fastify.close())
  return fastify
}

/** The state once a probe has finished (checkedAt set), waiting at most 10 s. */
async function firstVerdict (fastify: FastifyInstance): Promise<KafkaHealthState> {
  const deadline = Date.now() + 10000
  while (fastify.kafkaHealth.checkedAt === null && Date.now() < deadline) await sleep(50)
  return fastify.kafkaHealth
}

test('parseBrokers keeps host:port pairs and drops listener prefixes', () => {
  assert.deepEqual(parseBrokers('a:9092, SASL_PLAINTEXT://b:9093,,c'), ['a:9092', 'b:9093'])
  assert.deepEqual(parseBrokers('[::1]:9092'), ['[::1]:9092'])
})

test('a reachable cluster is ready, probed with a metadata request', async (t) => {
  const fastify = await buildProbed(t, { KAFKA_BROKERS })
  const state = await firstVerdict(fastify)
  assert.equal(state.method, 'metadata')
  assert.equal(state.ready, true, String(state.reason))
  assert.equal(state.reason, null)
})

test('an unreachable cluster is not ready, with the reason', async (t) => {
  const fastify = await buildProbed(t, { KAFKA_BROKERS: `127.0.0.1:${await closedPort()}` })
  const state = await firstVerdict(fastify)
  assert.equal(state.ready, false)
  assert.equal(typeof state.reason, 'string')
  assert.notEqual(state.reason, 'not checked yet')
})

test('without a Kafka identity of its own (AUTH_MODE=kafka) the gateway probes with TCP', async (t) => {
  const reachable = await buildProbed(t, { KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', AUTH_MODE: 'kafka' })
  const up = await firstVerdict(reachable)
  assert.equal(up.method, 'tcp')
  assert.equal(up.ready, true, String(up.reason))

  const port = await closedPort()
  const unreachable = await buildProbed(t, { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', AUTH_MODE: 'kafka' })
  const down = await firstVerdict(unreachable)
  assert.equal(down.ready, false)
  assert.match(String(down.reason), new RegExp(`127\\.0\\.0\\.1:${port}`))
})

test('probing stops when the app closes', async (t) => {
  const fastify = await buildProbed(t, { KAFKA_BROKERS })
  await firstVerdict(fastify)
  await fastify.close()
  const last = fastify.kafkaHealth.checkedAt
  await sleep(800) // four probe intervals
  assert.equal(fastify.kafkaHealth.checkedAt, last)
})
