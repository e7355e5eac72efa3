import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildProbeApp, STREAM, WHOAMI, type Whoami } from '../security/probe-app.js'
import { basic, kafkaAuthEnv, saslSkipReason } from '../security/sasl.js'

const skip = await saslSkipReason()

test('AUTH_MODE=none: every request is the anonymous principal, credentials or not', async (t) => {
  const app = await buildProbeApp(t)
  for (const headers of [{}, { authorization: basic('alice') }, { authorization: 'Basic garbage' }]) {
    const res = await app.inject({ url: WHOAMI, headers })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { name: 'anonymous', hasCredentials: false, username: null } satisfies Whoami)
  }
  const stream = await app.inject({ url: `${STREAM}?ticket=${'A'.repeat(43)}` })
  assert.equal(stream.json().name, 'anonymous', 'tickets are not needed without AUTH_MODE=kafka')
})

test('AUTH_MODE=kafka: no or malformed credentials get 401 with a Basic challenge', async (t) => {
  // no Kafka needed: the request is refused before any login
  const app = await buildProbeApp(t, kafkaAuthEnv())
  for (const authorization of [undefined, 'Bearer x', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
    const res = await app.inject({ url: WHOAMI, headers: authorization === undefined ? {} : { authorization } })
    assert.equal(res.statusCode, 401, String(authorization))
    assert.equal(res.headers['www-authenticate'], 'Basic realm="fink-gateway"')
    assert.equal(res.json().code, 'FG_UNAUTHORIZED')
    assert.match(res.json().message, /Basic/)
  }
  const unknownPath = await app.inject({ url: '/no/such/route' })
  assert.equal(unknownPath.statusCode, 401, 'unknown paths need credentials too (fail closed)')
})

test('AUTH_MODE=kafka: a script sending X-Requested-With gets its 401 without a Basic challenge (no browser prompt)', async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  const scripted = await app.inject({ url: WHOAMI, headers: { 'x-requested-with': 'fink-gateway-dashboard' } })
  assert.equal(scripted.statusCode, 401)
  assert.equal(scripted.json().code, 'FG_UNAUTHORIZED')
  assert.equal(scripted.headers['www-authenticate'], undefined)
  const plain = await app.inject({ url: WHOAMI })
  assert.equal(plain.headers['www-authenticate'], 'Basic realm="fink-gateway"')
})

test('AUTH_MODE=kafka: a wrong password from a script sending X-Requested-With: 401 without a Basic challenge', { skip }, async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  const res = await app.inject({ url: WHOAMI, headers: { authorization: basic('alice', 'wrong-password'), 'x-requested-with': 'XMLHttpRequest' } })
  assert.equal(res.statusCode, 401)
  assert.equal(res.headers['www-authenticate'], undefined)
})

test('AUTH_MODE=kafka: probes, metrics, docs and the dashboard need no credentials', async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  for (const url of ['/healthz', '/metrics', '/docs/json', '/']) {
    const res = await app.inject({ url })
    assert.notEqual(res.statusCode, 401, url)
  }
})

test('AUTH_MODE=kafka: the right password makes the Kafka user the principal', { skip }, async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  const alice = await app.inject({ url: WHOAMI, headers: { authorization: basic('alice') } })
  assert.equal(alice.statusCode, 200)
  assert.deepEqual(alice.json(), { name: 'alice', hasCredentials: true, username: 'alice' } satisfies Whoami)
  const bob = await app.inject({ url: WHOAMI, headers: { authorization: basic('bob') } })
  assert.deepEqual(bob.json(), { name: 'bob', hasCredentials: true, username: 'bob' } satisfies Whoami)
})

test('AUTH_MODE=kafka: a wrong password gets 401 within 10 s and no Kafka client stays open', { skip }, async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  const started = Date.now()
  const res = await app.inject({ url: WHOAMI, headers: { authorization: basic('alice', 'wrong-password') } })
  const ms = Date.now() - started
  t.diagnostic(`401 after ${ms} ms`)
  assert.equal(res.statusCode, 401)
  assert.equal(res.headers['www-authenticate'], 'Basic realm="fink-gateway"')
  assert.equal(res.json().code, 'FG_UNAUTHORIZED')
  assert.ok(ms < 10_000, `the contract's bound: 401 within 10 s (took ${ms} ms)`)
  assert.doesNotMatch(res.body, /wrong-password/)
  const deadline = Date.now() + 15_000
  while ((app.credentialVerifier?.openClients ?? 0) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(app.credentialVerifier?.openClients, 0)
})

test('AUTH_MODE=kafka: a ticket from POST /auth/ticket opens one stream, once, as its principal', { skip }, async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  const issued = await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('alice') } })
  assert.equal(issued.statusCode, 200)
  const { ticket } = issued.json() as { ticket: string }
  const stream = await app.inject({ url: `${STREAM}?ticket=${ticket}` })
  assert.equal(stream.statusCode, 200)
  assert.deepEqual(stream.json(), { name: 'alice', hasCredentials: true, username: 'alice' } satisfies Whoami)

  const reused = await app.inject({ url: `${STREAM}?ticket=${ticket}` })
  assert.equal(reused.statusCode, 401)
  assert.equal(reused.json().code, 'FG_UNAUTHORIZED')
  assert.match(reused.json().message, /ticket/)

  const other = (await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('bob') } })).json() as { ticket: string }
  const onRest = await app.inject({ url: `${WHOAMI}?ticket=${other.ticket}` })
  assert.equal(onRest.statusCode, 401, 'REST routes do not take tickets')
  const asBob = await app.inject({ url: `${STREAM}?ticket=${other.ticket}` })
  assert.equal(asBob.json().name, 'bob', 'the ticket was not spent by the REST attempt, and is bob\'s')

  for (const bad of ['', 'x', 'A'.repeat(43), `${ticket}&ticket=${other.ticket}`]) {
    const res = await app.inject({ url: `${STREAM}?ticket=${bad}` })
    assert.equal(res.statusCode, 401, bad)
  }
})

test('AUTH_MODE=kafka: a stream route also takes Basic credentials (non-browser clients)', { skip }, async (t) => {
  const app = await buildProbeApp(t, kafkaAuthEnv())
  const res = await app.inject({ url: STREAM, headers: { authorization: basic('bob') } })
  assert.equal(res.json().name, 'bob')
})
