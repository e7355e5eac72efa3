/**
 * GET /sse against real Kafka with real ZTF alerts, read by a plain http.get client that parses
 * the Server-Sent Events lines: events and ids, resume with Last-Event-ID on a fresh connection
 * (no alert lost, none twice), filter, until (end event), retention gap status, errors before
 * the stream starts.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { get as httpGet, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildApp, uniqueName } from '../helpers/app.js'
import { alertTopic, deleteRecordsBefore, deleteRecordsUnavailable, q, type App } from '../features/features-helpers.js'
import { basic, createTopicAsAdmin, deleteTopicAsAdmin, kafkaAuthEnv, produceAsAdmin, saslSkipReason } from '../security/sasl.js'

interface SseEvent { event: string, id: string | undefined, data: string }

interface SseClient {
  status: number
  headers: IncomingMessage['headers']
  events: SseEvent[]
  comments: string[]
  /** Everything received, as text. */
  raw: () => string
  alerts: () => Array<Record<string, any>>
  waitFor: (what: string, done: () => boolean, ms?: number) => Promise<void>
  ended: Promise<void>
  close: () => void
}

async function listening (t: TestContext): Promise<{ app: App, base: string }> {
  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

/** An EventSource-like reader: splits the stream into events on blank lines (text/event-stream). */
async function open (url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return await new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = []
      const comments: string[] = []
      let buffer = ''
      let raw = ''
      let current: SseEvent = { event: 'message', id: undefined, data: '' }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        raw += chunk
        let newline: number
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline)
          buffer = buffer.slice(newline + 1)
          if (line === '') {
            if (current.data !== '' || current.event !== 'message') events.push(current)
            current = { event: 'message', id: undefined, data: '' }
          } else if (line.startsWith(':')) comments.push(line.slice(1).trim())
          else {
            const colon = line.indexOf(':')
            const field = line.slice(0, colon)
            const value = line.slice(colon + 1).replace(/^ /, '')
            if (field === 'event') current.event = value
            else if (field === 'id') current.id = value
            else if (field === 'data') current.data += (current.data === '' ? '' : '\n') + value
          }
        }
      })
      const ended = new Promise<void>((resolve) => { res.on('end', resolve); res.on('close', resolve) })
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        raw: () => raw,
        alerts: () => events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data)),
        waitFor: async (what, done, ms = 20000) => {
          const deadline = Date.now() + ms
          while (!done()) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${events.map((e) => `${e.event}:${e.data.slice(0, 80)}`).join(' | ')}`)
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        },
        ended,
        close: () => { req.destroy() }
      })
    })
    req.on('error', reject)
  })
}

async function bodyOf (client: SseClient): Promise<string> { await client.ended; return client.raw() }

test('/sse streams alert events with the cursor as id; a fresh connection with Last-Event-ID resumes exactly', async (t) => {
  const { app, base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_sse', 2)
  const query = q({ topics: topic, start: 'earliest', exclude: 'cutouts,prv_candidates' })
  const first = await open(`${base}/sse?${query}`)
  assert.equal(first.status, 200)
  assert.match(first.headers['content-type'] as string, /^text\/event-stream/)
  await first.waitFor('10 alerts', () => first.alerts().length >= 10)
  first.close()
  const got = first.alerts()
  const statuses = first.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data))
  assert.equal(statuses[0]?.state, 'started')
  const alertEvents = first.events.filter((e) => e.event === 'alert')
  for (const [n, e] of alertEvents.entries()) assert.equal(e.id, got[n]?.cursor, 'id: is the item cursor')
  // Resume from the last alert event received, as a reconnecting EventSource does.
  const lastId = alertEvents[alertEvents.length - 1]?.id as string
  const kept = got.length
  await app.sessions.list().find((s) => s.transport === 'sse')?.close()
  const second = await open(`${base}/sse?${query}`, { 'last-event-id': lastId })
  await second.waitFor('the rest of the alerts', () => kept + second.alerts().length >= 31)
  await new Promise((resolve) => setTimeout(resolve, 500))
  second.close()
  const keys = [...got, ...second.alerts()].map((a) => `${String(a.partition)}:${String(a.offset)}`)
  assert.equal(new Set(keys).size, keys.length, 'no alert twice')
  assert.equal(keys.length, 31, 'no alert lost')
  await second.ended
  // The session ends with the connection.
  const deadline = Date.now() + 10000
  while (app.sessions.list().some((s) => s.transport === 'sse') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(app.sessions.list().filter((s) => s.transport === 'sse').length, 0)
})

test('/sse with filter and until: only matching alerts, then an end_of_stream status, an end event and the end of the response', async (t) => {
  const { app, base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_sse_until')
  const until = Date.now() + 1000
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const all = JSON.parse((await app.inject({ method: 'GET', url: `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 31, timeout: 10, exclude: 'cutouts,prv_candidates' })}` })).body).alerts as Array<Record<string, any>>
  const expected = all.filter((i) => i.alert.candidate.magpsf < 18.5).map((i) => i.offset)
  assert.ok(expected.length > 0 && expected.length < 31)
  const group = uniqueName('g')
  const client = await open(`${base}/sse?${q({ topics: topic, group_id: group, start: 'earliest', until, filter: 'candidate.magpsf < 18.5', exclude: 'cutouts,prv_candidates' })}`)
  await bodyOf(client)
  assert.deepEqual(client.alerts().map((a) => a.offset), expected)
  const names = client.events.map((e) => e.event)
  assert.equal(names[names.length - 1], 'end')
  const last = JSON.parse(client.events[client.events.length - 2]?.data as string)
  assert.equal(last.end_of_stream, true)
  assert.equal(last.filtered, 31 - expected.length)
  // Filtered alerts were committed too: the group is at the end of the partition.
  let committed: number | null | undefined = null
  for (let i = 0; i < 50 && committed !== 31; i++) {
    committed = (await app.kafkaAdmin.groupOffsets(topic, group, null, 5000))[0]?.committed
    if (committed !== 31) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(committed, 31)
})

test('/sse refuses before streaming: bad filter 400 with the position, bad cursor 400, ack=manual 400', async (t) => {
  const { base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_sse_bad')
  const badFilter = await open(`${base}/sse?${q({ topics: topic, filter: 'candidate.magpsf <' })}`)
  assert.equal(badFilter.status, 400)
  const body = JSON.parse(await bodyOf(badFilter))
  assert.equal(body.code, 'FG_BAD_FILTER')
  assert.match(body.message, /position 18/)
  const badCursor = await open(`${base}/sse?${q({ topics: topic })}`, { 'last-event-id': 'garbage!' })
  assert.equal(badCursor.status, 400)
  const manual = await open(`${base}/sse?${q({ topics: topic, ack: 'manual' })}`)
  assert.equal(manual.status, 400)
})

test('/sse: a cursor before the low watermark gets a retention_gap status first', async (t) => {
  const unavailable = deleteRecordsUnavailable()
  if (unavailable !== null) { t.skip(unavailable); return }
  const { base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_sse_gap')
  const first = await open(`${base}/sse?${q({ topics: topic, start: 'earliest', exclude: 'cutouts,prv_candidates' })}`)
  await first.waitFor('an alert', () => first.alerts().length >= 1)
  first.close()
  const cursor = first.alerts()[0]?.cursor as string // next offset 1
  await deleteRecordsBefore(topic, 0, 5)
  const second = await open(`${base}/sse?${q({ topics: topic, cursor, exclude: 'cutouts,prv_candidates' })}`)
  await second.waitFor('an alert', () => second.alerts().length >= 1)
  second.close()
  const warning = second.events.map((e) => JSON.parse(e.data)).find((d) => d.warning === 'retention_gap')
  assert.deepEqual(warning?.partitions, [{ topic, partition: 0, requested: 1, low: 5, lost: 4 }])
  assert.equal(second.alerts()[0]?.offset, 5)
})

test('/sse with AUTH_MODE=kafka: 401 without credentials; a single-use ticket from POST /auth/ticket opens the stream as its user', async (t) => {
  const skip = await saslSkipReason()
  if (skip !== false) { t.skip(skip); return }
  const app = await buildApp(t, kafkaAuthEnv())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const topic = uniqueName('ftest_sse_auth')
  await createTopicAsAdmin(topic)
  t.after(async () => { await deleteTopicAsAdmin(topic) })
  await produceAsAdmin(topic, ['not avro 0', 'not avro 1'])
  const query = q({ topics: topic, group_id: uniqueName('alice.sse'), start: 'earliest' })
  const anonymous = await open(`${base}/sse?${query}`)
  assert.equal(anonymous.status, 401)
  await bodyOf(anonymous)
  const issued = await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('alice') } })
  assert.equal(issued.statusCode, 200, issued.body)
  const { ticket } = issued.json() as { ticket: string }
  const client = await open(`${base}/sse?${query}&ticket=${ticket}`)
  assert.equal(client.status, 200)
  await client.waitFor('two items', () => client.alerts().length >= 2)
  client.close()
  assert.deepEqual(client.alerts().map((a) => a.offset), [0, 1])
  const reused = await open(`${base}/sse?${query}&ticket=${ticket}`)
  assert.equal(reused.status, 401, 'a ticket opens one stream only')
  await bodyOf(reused)
})
