/**
 * The gateway's limits, end to end, each with its clear 4xx: query bounds (400), sessions in
 * total and per principal (429), request rate (429), header size (431). The WebSocket message
 * bound (1009) is in test/security/websocket.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { buildApp, uniqueName } from '../helpers/app.js'
import { createTopic, deleteTopic } from '../helpers/kafka.js'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { basic, createTopicAsAdmin, deleteTopicAsAdmin, kafkaAuthEnv, saslSkipReason } from './sasl.js'

const skip = await saslSkipReason()

async function consumeStatus (app: FastifyInstance, query: string, authorization?: string): Promise<{ status: number, code?: string, message?: string, retryAfter?: string }> {
  const res = await app.inject({ url: `/consume?${query}`, headers: authorization === undefined ? {} : { authorization } })
  if (res.statusCode === 200) return { status: 200 }
  const body = res.json() as { code: string, message: string }
  const retryAfter = res.headers['retry-after']
  return { status: res.statusCode, code: body.code, message: body.message, ...(retryAfter !== undefined ? { retryAfter: String(retryAfter) } : {}) }
}

test('timeout and num_alerts out of bounds or malformed: 400 FG_BAD_PARAMETER naming the parameter, no session opened', async (t) => {
  const app = await buildApp(t, { MAX_TIMEOUT_SECONDS: '60', MAX_NUM_ALERTS: '1000' })
  const base = 'topics=ftest_limits&group_id=g'
  const bad: Array<[string, RegExp]> = [
    ['timeout=61', /timeout/], ['timeout=-1', /timeout/], ['timeout=abc', /timeout/], ['timeout=1e3', /timeout/],
    ['timeout=NaN', /timeout/], ['timeout=Infinity', /timeout/], ['timeout=5&timeout=6', /timeout/],
    ['num_alerts=0', /num_alerts/], ['num_alerts=1001', /num_alerts/], ['num_alerts=-5', /num_alerts/],
    ['num_alerts=2.5', /num_alerts/], ['num_alerts=99999999999999999999', /num_alerts/], ['num_alerts=', /num_alerts/]
  ]
  for (const [query, names] of bad) {
    const res = await consumeStatus(app, `${base}&${query}`)
    assert.equal(res.status, 400, query)
    assert.equal(res.code, 'FG_BAD_PARAMETER', query)
    assert.match(res.message ?? '', names, query)
  }
  const poll = await app.inject({ url: '/poll?topics=ftest_limits&group_id=g&timeout=600.5' })
  assert.equal(poll.statusCode, 400)
  assert.equal(app.sessions.size, 0)
})

test('MAX_SESSIONS: the next session gets 429 FG_TOO_MANY_SESSIONS; existing ones keep working', async (t) => {
  const app = await buildApp(t, { MAX_SESSIONS: '2' })
  const topic = uniqueName('limits_sessions')
  await createTopic(topic)
  t.after(() => deleteTopic(topic))
  const q = (group: string): string => `topics=${topic}&group_id=${group}&num_alerts=1&timeout=0.2`
  assert.equal((await consumeStatus(app, q('g1'))).status, 200)
  assert.equal((await consumeStatus(app, q('g2'))).status, 200)
  const third = await consumeStatus(app, q('g3'))
  assert.equal(third.status, 429)
  assert.equal(third.code, 'FG_TOO_MANY_SESSIONS')
  assert.equal((await consumeStatus(app, q('g1'))).status, 200, 'an open session is still served')
  assert.equal(app.sessions.size, 2)
})

test('MAX_SESSIONS_PER_PRINCIPAL: one user\'s sessions do not use up another\'s', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv({ MAX_SESSIONS: '3', MAX_SESSIONS_PER_PRINCIPAL: '2' }))
  const topic = uniqueName('ftest_limits')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  const q = (group: string): string => `topics=${topic}&group_id=${group}&num_alerts=1&timeout=0.2`
  assert.equal((await consumeStatus(app, q(uniqueName('alice.g')), basic('alice'))).status, 200)
  assert.equal((await consumeStatus(app, q(uniqueName('alice.g')), basic('alice'))).status, 200)
  const third = await consumeStatus(app, q(uniqueName('alice.g')), basic('alice'))
  assert.equal(third.status, 429)
  assert.equal(third.code, 'FG_TOO_MANY_SESSIONS')
  assert.equal((await consumeStatus(app, q(uniqueName('bob.g')), basic('bob'))).status, 200, 'bob is not limited by alice')
  const total = await consumeStatus(app, q(uniqueName('bob.g')), basic('bob'))
  assert.equal(total.status, 429, 'MAX_SESSIONS counts everyone')
  assert.equal(total.code, 'FG_TOO_MANY_SESSIONS')
})

test('request rate per principal: 429 FG_RATE_LIMITED with Retry-After before any Kafka work', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv({ RATE_LIMIT_PER_SECOND: '2' }))
  const topic = uniqueName('ftest_rate')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  const q = `topics=${topic}&group_id=${uniqueName('alice.g')}&num_alerts=1&timeout=0.2`
  const statuses = []
  let limited
  for (let i = 0; i < 4; i++) {
    const res = await consumeStatus(app, q, basic('alice'))
    statuses.push(res.status)
    if (res.status === 429) limited = res
  }
  assert.ok(limited !== undefined, statuses.join(','))
  assert.equal(limited.code, 'FG_RATE_LIMITED')
  assert.match(limited.retryAfter ?? '', /^[1-9][0-9]*$/)
  assert.equal(app.sessions.size, 1, 'the requests let through share one session; the limited ones opened none')
  const bobs = `topics=${topic}&group_id=${uniqueName('bob.g')}&num_alerts=1&timeout=0.2`
  assert.equal((await consumeStatus(app, bobs, basic('bob'))).status, 200, 'bob has his own budget')
})

test('request headers above the server\'s bound: 431 from a real listening server, which keeps serving', async (t) => {
  const config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', LOG_LEVEL: 'silent' })
  const server = await buildServer(config, pino({ level: 'silent' }))
  t.after(() => server.close())
  await server.listen({ port: 0, host: '127.0.0.1' })
  const { port } = server.server.address() as AddressInfo
  const get = (headers: Record<string, string>): Promise<number> => new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', headers, agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
  assert.equal(await get({ 'x-big': 'a'.repeat(64 * 1024) }), 431)
  assert.equal(await get({ authorization: `Basic ${'A'.repeat(32 * 1024)}` }), 431)
  assert.equal(await get({ 'x-fine': 'a'.repeat(4 * 1024) }), 200)
})
