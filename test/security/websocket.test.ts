/**
 * WebSocket security on a real listening server: the Origin check happens before any consumer
 * exists, browsers authenticate with single-use tickets, and client messages are bounded.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { buildApp, uniqueName } from '../helpers/app.js'
import { createTopic, deleteTopic, produce } from '../helpers/kafka.js'
import { basic, createTopicAsAdmin, deleteTopicAsAdmin, kafkaAuthEnv, produceAsAdmin, saslSkipReason } from './sasl.js'

const skip = await saslSkipReason()
const ALLOWED = 'https://fink.example.org'

async function listening (t: TestContext, env: Record<string, string>): Promise<{ app: FastifyInstance, base: string }> {
  const app = await buildApp(t, env)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, base: `ws://127.0.0.1:${port}` }
}

type Outcome =
  | { kind: 'refused', status: number, body: string, connectionClosed: Promise<void> }
  | { kind: 'open', socket: WebSocket, frames: Array<Record<string, unknown>>, closed: Promise<{ code: number }> }

/** Opens a WebSocket; resolves when it is open (collecting its frames) or refused with an HTTP status. */
function connect (t: TestContext, url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    t.after(() => { socket.terminate() })
    const frames: Array<Record<string, unknown>> = []
    const closed = new Promise<{ code: number }>((resolve) => socket.once('close', (code) => resolve({ code })))
    socket.on('message', (data) => { frames.push(JSON.parse(String(data)) as Record<string, unknown>) })
    socket.once('open', () => resolve({ kind: 'open', socket, frames, closed }))
    socket.once('unexpected-response', (_req, res) => {
      let body = ''
      // the client never closes it: the gateway must
      const connectionClosed = new Promise<void>((resolve) => res.socket.once('close', () => resolve()))
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body, connectionClosed }))
    })
    socket.once('error', (err) => { if (socket.readyState !== WebSocket.CLOSED) reject(err) })
  })
}

async function until (what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('an Origin not in ALLOWED_ORIGINS gets 403 and no consumer is ever opened', async (t) => {
  const topic = uniqueName('ws_origin')
  await createTopic(topic)
  t.after(() => deleteTopic(topic))
  const { app, base } = await listening(t, { ALLOWED_ORIGINS: ALLOWED })
  const url = `${base}/ws?topics=${topic}&start=earliest`
  let opened = 0
  const registryCreate = app.sessions.openStream.bind(app.sessions)
  app.sessions.openStream = async (...args) => { opened++; return await registryCreate(...args) }

  const evil = await connect(t, url, { origin: 'https://evil.example.com' })
  assert.equal(evil.kind, 'refused')
  assert.equal(evil.status, 403)
  assert.equal(JSON.parse(evil.body).code, 'FG_FORBIDDEN')
  assert.equal(opened, 0, 'refused before any session was asked for')
  assert.equal(app.sessions.size, 0)
  await evil.connectionClosed

  // the same request from the allowed origin, from the gateway's own page, and from a non-browser client is served
  const { port } = app.server.address() as AddressInfo
  const headerSets: Array<Record<string, string>> = [{ origin: ALLOWED }, { origin: `http://127.0.0.1:${port}` }, {}]
  for (const headers of headerSets) {
    const ok = await connect(t, url, headers)
    assert.equal(ok.kind, 'open', JSON.stringify(headers))
    if (ok.kind === 'open') ok.socket.close()
  }
  assert.equal(opened, 3)
})

test('a client message above WS_MAX_CLIENT_MESSAGE_BYTES closes the stream with 1009 and its session', async (t) => {
  const topic = uniqueName('ws_big')
  await createTopic(topic)
  t.after(() => deleteTopic(topic))
  await produce(topic, [{ key: null, value: 'x' }])
  const { app, base } = await listening(t, { WS_MAX_CLIENT_MESSAGE_BYTES: '1024' })
  const ws = await connect(t, `${base}/ws?topics=${topic}&start=earliest&ack=manual`)
  assert.equal(ws.kind, 'open')
  if (ws.kind !== 'open') return
  await until('a session', () => app.sessions.size === 1)
  ws.socket.send(JSON.stringify({ type: 'ack', topic, partition: 0, offset: 0, pad: 'p'.repeat(2000) }))
  assert.equal((await ws.closed).code, 1009)
  await until('the session closed', () => app.sessions.size === 0)
})

test('AUTH_MODE=kafka: a browser opens /ws with a ticket, once; without credentials 401', { skip }, async (t) => {
  const topic = uniqueName('ftest_ws')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  await produceAsAdmin(topic, ['one', 'two'])
  const { app, base } = await listening(t, kafkaAuthEnv({ ALLOWED_ORIGINS: ALLOWED }))
  const url = `${base}/ws?topics=${topic}&group_id=${uniqueName('alice.g')}&start=earliest`

  const none = await connect(t, url, { origin: ALLOWED })
  assert.equal(none.kind, 'refused')
  assert.equal(none.status, 401)
  await none.connectionClosed

  const issued = await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('alice') } })
  const { ticket } = issued.json() as { ticket: string }
  const ws = await connect(t, `${url}&ticket=${ticket}`, { origin: ALLOWED })
  assert.equal(ws.kind, 'open')
  if (ws.kind !== 'open') return
  await until('two alerts', () => ws.frames.filter((f) => f.type === 'alert').length === 2)
  assert.deepEqual(app.sessions.list().map((s) => s.principal.name), ['alice'])

  const again = await connect(t, `${url}&ticket=${ticket}`, { origin: ALLOWED })
  assert.equal(again.kind, 'refused', 'a ticket works once')
  assert.equal(again.status, 401)
  ws.socket.close()
  await until('the session closed', () => app.sessions.size === 0)
})

test('AUTH_MODE=kafka: bob\'s ticket does not open alice\'s group, and leaves no consumer', { skip }, async (t) => {
  const topic = uniqueName('ftest_ws')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  await produceAsAdmin(topic, ['secret'])
  const { app, base } = await listening(t, kafkaAuthEnv())
  const issued = await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('bob') } })
  const { ticket } = issued.json() as { ticket: string }
  const ws = await connect(t, `${base}/ws?topics=${topic}&group_id=${uniqueName('alice.g')}&start=earliest&ticket=${ticket}`)
  if (ws.kind === 'refused') {
    assert.equal(ws.status, 403)
  } else {
    await ws.closed
    assert.equal(ws.frames.filter((f) => f.type === 'alert').length, 0, 'bob read nothing')
    assert.ok(ws.frames.some((f) => f.type === 'error' && f.code === 'FG_FORBIDDEN'), JSON.stringify(ws.frames))
  }
  await until('no session', () => app.sessions.size === 0)
})

test('AUTH_MODE=kafka: a wrong password on the upgrade gets 401 and no consumer', { skip }, async (t) => {
  const { app, base } = await listening(t, kafkaAuthEnv())
  const ws = await connect(t, `${base}/ws?topics=ftest_x&group_id=alice.g`, { authorization: basic('alice', 'guess') })
  assert.equal(ws.kind, 'refused')
  assert.equal(ws.status, 401)
  assert.equal(app.sessions.size, 0)
})

// The throw-away group of a stream without group_id is `<KAFKA_USER_GROUP_PREFIX>fink-gateway-tmp-<uuid>`,
// `alice.fink-gateway-tmp-<uuid>` by default: inside the groups alice's ACLs allow.
test('AUTH_MODE=kafka: a stream without group_id works within the user\'s ACLs', { skip }, async (t) => {
  const topic = uniqueName('ftest_ws')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  await produceAsAdmin(topic, ['one'])
  const { app, base } = await listening(t, kafkaAuthEnv())
  const ws = await connect(t, `${base}/ws?topics=${topic}&start=earliest`, { authorization: basic('alice') })
  assert.equal(ws.kind, 'open')
  if (ws.kind !== 'open') return
  await until('one alert', () => ws.frames.some((f) => f.type === 'alert' || f.type === 'error'))
  assert.deepEqual(ws.frames.filter((f) => f.type === 'error'), [], 'the throw-away group must be one the user may use')
  assert.match(app.sessions.list()[0]?.groupId ?? '', /^alice\.fink-gateway-tmp-[0-9a-f-]{36}$/)
  ws.socket.close()
  await until('the session closed', () => app.sessions.size === 0)
})

test('AUTH_MODE=kafka: a WebSocket on a topic the user may not read gets 403 before the upgrade; a missing one 404', { skip }, async (t) => {
  const topic = uniqueName('bob.ws')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  const { app, base } = await listening(t, kafkaAuthEnv())
  const forbidden = await connect(t, `${base}/ws?topics=${topic}&group_id=${uniqueName('alice.g')}`, { authorization: basic('alice') })
  assert.equal(forbidden.kind, 'refused')
  if (forbidden.kind !== 'refused') return
  assert.equal(forbidden.status, 403)
  assert.equal(JSON.parse(forbidden.body).code, 'FG_FORBIDDEN')
  const missing = await connect(t, `${base}/ws?topics=${uniqueName('alice.missing')}&group_id=${uniqueName('alice.g')}`, { authorization: basic('alice') })
  assert.equal(missing.kind, 'refused')
  if (missing.kind !== 'refused') return
  assert.equal(missing.status, 404)
  assert.equal(JSON.parse(missing.body).code, 'FG_TOPIC_NOT_FOUND')
  await until('no session', () => app.sessions.size === 0)
})

test('AUTH_MODE=kafka: a WebSocket with a group the user may not use gets 403 before the upgrade', { skip }, async (t) => {
  const topic = uniqueName('ftest_ws')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  const { app, base } = await listening(t, kafkaAuthEnv())
  const ws = await connect(t, `${base}/ws?topics=${topic}&group_id=${uniqueName('bob.g')}`, { authorization: basic('alice') })
  assert.equal(ws.kind, 'refused')
  if (ws.kind !== 'refused') return
  assert.equal(ws.status, 403)
  assert.equal(JSON.parse(ws.body).code, 'FG_FORBIDDEN')
  await until('no session', () => app.sessions.size === 0)
})
