import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from '../helpers/app.js'
import { buildProbeApp, WHOAMI } from '../security/probe-app.js'
import { basic, kafkaAuthEnv, saslSkipReason } from '../security/sasl.js'

const skip = await saslSkipReason()

test('over RATE_LIMIT_PER_SECOND: 429 FG_RATE_LIMITED with a whole-second Retry-After', async (t) => {
  const app = await buildApp(t, { RATE_LIMIT_PER_SECOND: '3' })
  const codes: number[] = []
  let limited
  for (let i = 0; i < 6; i++) {
    const res = await app.inject({ method: 'POST', url: '/auth/ticket' })
    codes.push(res.statusCode)
    if (res.statusCode === 429) limited = res
  }
  assert.deepEqual(codes.slice(0, 3), [200, 200, 200], 'a burst of one second is allowed')
  assert.ok(limited !== undefined, `limited after the burst: ${codes.join(',')}`)
  assert.equal(limited.json().code, 'FG_RATE_LIMITED')
  assert.match(limited.json().message, /3 requests per second/)
  assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/)
})

test('probes and metrics are never rate-limited', async (t) => {
  const app = await buildApp(t, { RATE_LIMIT_PER_SECOND: '1' })
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ url: '/healthz' })
    assert.equal(res.statusCode, 200)
  }
})

test('anonymous clients are limited per address', async (t) => {
  const app = await buildApp(t, { RATE_LIMIT_PER_SECOND: '1' })
  const first = await app.inject({ method: 'POST', url: '/auth/ticket', remoteAddress: '10.0.0.1' })
  const again = await app.inject({ method: 'POST', url: '/auth/ticket', remoteAddress: '10.0.0.1' })
  const other = await app.inject({ method: 'POST', url: '/auth/ticket', remoteAddress: '10.0.0.2' })
  assert.deepEqual([first.statusCode, again.statusCode, other.statusCode], [200, 429, 200])
})

test('AUTH_MODE=kafka: each principal has its own budget, wherever it comes from', { skip }, async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv({ RATE_LIMIT_PER_SECOND: '2' }))
  const as = async (user: string, remoteAddress: string): Promise<number> =>
    (await app.inject({ url: WHOAMI, headers: { authorization: basic(user) }, remoteAddress })).statusCode
  assert.equal(await as('alice', '10.0.0.1'), 200)
  assert.equal(await as('alice', '10.0.0.2'), 200)
  assert.equal(await as('alice', '10.0.0.3'), 429, 'a third address does not give alice more')
  assert.equal(await as('bob', '10.0.0.1'), 200, 'bob is not limited by alice')
})
