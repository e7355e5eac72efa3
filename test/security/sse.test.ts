/**
 * GET /sse in AUTH_MODE=kafka: an EventSource cannot send headers either, so it takes a
 * single-use ticket like /ws; without one, or with a spent one, 401 before any session.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildApp, uniqueName } from '../helpers/app.js'
import { basic, createTopicAsAdmin, deleteTopicAsAdmin, kafkaAuthEnv, produceAsAdmin, saslSkipReason } from './sasl.js'

const skip = await saslSkipReason()

/** The status, and the text received until `enough` holds (or the response ends); then the connection is dropped. */
function get (t: TestContext, url: string, enough: (text: string) => boolean): Promise<{ status: number, text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      let text = ''
      const done = (): void => { req.destroy(); resolve({ status: res.statusCode ?? 0, text }) }
      res.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); if (enough(text)) done() })
      res.on('end', done)
    })
    t.after(() => { req.destroy() })
    req.on('error', reject)
    req.end()
  })
}

test('AUTH_MODE=kafka: /sse takes a ticket once; no credentials or a spent ticket get 401 and no session', { skip }, async (t) => {
  const topic = uniqueName('ftest_sse')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  await produceAsAdmin(topic, ['one'])
  const app = await buildApp(t, kafkaAuthEnv())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}/sse?topics=${topic}&group_id=${uniqueName('alice.g')}&start=earliest`

  const none = await get(t, url, () => false)
  assert.equal(none.status, 401)
  assert.equal(JSON.parse(none.text).code, 'FG_UNAUTHORIZED')

  const { ticket } = (await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('alice') } })).json() as { ticket: string }
  const stream = await get(t, `${url}&ticket=${ticket}`, (text) => text.includes('event: alert'))
  assert.equal(stream.status, 200)
  assert.match(stream.text, /event: alert/)

  const spent = await get(t, `${url}&ticket=${ticket}`, () => false)
  assert.equal(spent.status, 401, 'a ticket works once (an EventSource reconnecting needs a new one)')
  const deadline = Date.now() + 15_000
  while (app.sessions.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(app.sessions.size, 0)
})

test('AUTH_MODE=kafka: /sse on a topic the user may not read, or with a group the user may not use: 403 before the stream', { skip }, async (t) => {
  const forbidden = uniqueName('bob.sse')
  const shared = uniqueName('ftest_sse')
  for (const topic of [forbidden, shared]) {
    await createTopicAsAdmin(topic)
    t.after(() => deleteTopicAsAdmin(topic))
  }
  const app = await buildApp(t, kafkaAuthEnv())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  for (const query of [`topics=${forbidden}&group_id=${uniqueName('alice.g')}`, `topics=${shared}&group_id=${uniqueName('bob.g')}`]) {
    const { ticket } = (await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('alice') } })).json() as { ticket: string }
    const res = await get(t, `http://127.0.0.1:${port}/sse?${query}&ticket=${ticket}`, () => false)
    assert.equal(res.status, 403, query)
    assert.equal(JSON.parse(res.text).code, 'FG_FORBIDDEN')
  }
  assert.equal(app.sessions.size, 0)
})
