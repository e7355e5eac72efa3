import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { parse, stringify } from 'lossless-json'
import { buildApp, uniqueName } from '../helpers/app.js'
import { alertFiles, alertFile, expectedLines, jsonDifference, SHIPPED_ALERTS_DIR } from '../avro/fink-alerts.js'
import { createTopic, numbered, produce, topicWithAlerts } from '../kafka/kafka-helpers.js'

type App = Awaited<ReturnType<typeof buildApp>>

async function listening (t: TestContext, env: Record<string, string> = {}): Promise<{ app: App, base: string }> {
  const app = await buildApp(t, env)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, base: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

interface Client {
  ws: WebSocket
  /** Every text frame, as received. */
  frames: string[]
  /** Alert frames received so far (cheap: no parsing). */
  alertCount: () => number
  /** The alert frames, parsed losslessly (slow on big frames: call once at the end). */
  alerts: () => Array<Record<string, unknown>>
  waitFor: (what: string, done: () => boolean, ms?: number) => Promise<void>
  closed: Promise<{ code: number, reason: string }>
}

async function connect (url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, options)
  const frames: string[] = []
  ws.on('message', (data) => { frames.push(data.toString()) })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => {
    ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }) })
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => { reject(new Error(`HTTP ${res.statusCode ?? 0}`)) })
  })
  const alertCount = (): number => frames.filter((f) => f.startsWith('{"type":"alert"')).length
  const alerts = (): Array<Record<string, unknown>> => frames.filter((f) => f.startsWith('{"type":"alert"')).map((f) => parse(f) as Record<string, unknown>)
  const waitFor = async (what: string, done: () => boolean, ms = 20000): Promise<void> => {
    const deadline = Date.now() + ms
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${frames.map((f) => f.slice(0, 120)).join(' | ')}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { ws, frames, alertCount, alerts, waitFor, closed }
}

/** The HTTP answer to an upgrade that the gateway refuses before upgrading. */
async function refusedUpgrade (url: string): Promise<{ status: number, body: { code?: string } }> {
  return await new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => { ws.close(); reject(new Error('upgrade was accepted')) })
    ws.once('error', () => {})
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { code?: string } }) })
    })
  })
}

const statuses = (c: Client): Array<Record<string, unknown>> =>
  c.frames.filter((f) => f.startsWith('{"type":"status"')).map((f) => JSON.parse(f) as Record<string, unknown>)

test('streaming every shipped alert equals the reference decoding, with status frames', async (t) => {
  const { base } = await listening(t)
  const shipped = new Set(readdirSync(SHIPPED_ALERTS_DIR))
  const files = alertFiles().filter((f) => shipped.has(f.name))
  assert.ok(files.length >= 6, 'the shipped alerts are found in the shared folder')
  const { topic, count } = await topicWithAlerts(t, 'ftest_ws_all', files.map((f) => f.path))
  const expected = files.flatMap((f) => expectedLines(f))
  assert.equal(count, expected.length)

  const client = await connect(`${base}/ws?topics=${topic}&start=earliest`)
  t.after(() => { client.ws.terminate() })
  await client.waitFor(`${count} alerts`, () => client.alertCount() >= count, 40000)
  const alerts = client.alerts()
  assert.equal(alerts.length, count)
  alerts.forEach((frame, i) => {
    assert.equal(String(frame.offset), String(i))
    assert.equal(frame.error, undefined, `alert ${i} decoded`)
    assert.equal(jsonDifference(stringify(frame.alert) as string, expected[i] as string), undefined, `alert ${i} equals the reference`)
  })
  const started = statuses(client).find((s) => s.state === 'started')
  assert.deepEqual(started?.partitions, [{ topic, partition: 0 }])
  assert.match(client.frames[0] as string, /^\{"type":"status","state":"started"/, 'the first frame says which partitions were assigned')
  await client.waitFor('a caught-up status', () => statuses(client).some((s) => s.state === 'streaming' && s.caught_up === true), 15000)
})

test('ack=manual: only acknowledged alerts are committed; unacknowledged ones come again', async (t) => {
  const { base } = await listening(t)
  const topic = await createTopic(t, 'ftest_ws_ack')
  await produce(topic, numbered('a', 5))
  const group = uniqueName('group')
  const url = `${base}/ws?topics=${topic}&group_id=${group}&ack=manual`
  const first = await connect(url)
  await first.waitFor('5 alerts', () => first.alertCount() === 5)
  first.ws.send('{not json')
  first.ws.send(JSON.stringify({ type: 'ack', topic, partition: 0, offset: 99 }))
  first.ws.send(JSON.stringify({ type: 'ack', topic, partition: 0, offset: 2 }))
  await first.waitFor('two error frames', () => first.frames.filter((f) => f.includes('"type":"error"')).length === 2)
  const errors = first.frames.map((f) => JSON.parse(f) as { type: string, code?: string }).filter((f) => f.type === 'error').map((f) => f.code)
  assert.deepEqual(errors, ['FG_BAD_MESSAGE', 'FG_BAD_ACK'])
  assert.equal(first.ws.readyState, WebSocket.OPEN, 'a malformed message does not close the connection')
  await new Promise((resolve) => setTimeout(resolve, 300))
  first.ws.close()
  await first.closed

  const second = await connect(url)
  t.after(() => { second.ws.terminate() })
  await second.waitFor('2 alerts', () => second.alertCount() === 2)
  assert.deepEqual(second.alerts().map((a) => String(a.offset)), ['3', '4'])
})

test('ack=auto: what was sent is committed; a reconnect with the group resumes after it', async (t) => {
  const { base } = await listening(t)
  const topic = await createTopic(t, 'ftest_ws_auto')
  await produce(topic, numbered('a', 3))
  const url = `${base}/ws?topics=${topic}&group_id=${uniqueName('group')}`
  const first = await connect(url)
  await first.waitFor('3 alerts', () => first.alertCount() === 3)
  first.ws.send(JSON.stringify({ type: 'ack', topic, partition: 0, offset: 0 }))
  await first.waitFor('an error frame', () => first.frames.some((f) => f.includes('FG_BAD_MESSAGE')))
  first.ws.close()
  await first.closed
  await produce(topic, numbered('b', 2))
  const second = await connect(url)
  t.after(() => { second.ws.terminate() })
  await second.waitFor('2 alerts', () => second.alertCount() === 2)
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.deepEqual(second.alerts().map((a) => String(a.offset)), ['3', '4'])
})

test('bad parameters and unknown topics are refused with HTTP 4xx before the upgrade', async (t) => {
  const { app, base } = await listening(t)
  const topic = await createTopic(t, 'ftest_ws_bad')
  for (const [query, status, code] of [
    ['', 400, 'FG_BAD_PARAMETER'],
    [`topics=${topic}&ack=sometimes`, 400, 'FG_BAD_PARAMETER'],
    [`topics=${topic}&start=yesterday`, 400, 'FG_BAD_PARAMETER'],
    [`topics=${topic}&int64=float`, 400, 'FG_BAD_PARAMETER'],
    [`topics=${uniqueName('ftest_missing')}`, 404, 'FG_TOPIC_NOT_FOUND']
  ] as const) {
    const refused = await refusedUpgrade(`${base}/ws?${query}`)
    assert.equal(refused.status, status, query)
    assert.equal(refused.body.code, code, query)
  }
  const plain = await app.inject({ method: 'GET', url: `/ws?topics=${topic}` })
  assert.equal(plain.statusCode, 426, 'a plain GET is told to upgrade')
  assert.equal(plain.json().code, 'FG_UPGRADE_REQUIRED')
  assert.equal(app.sessions.size, 0)
})

test('a client message over the size bound closes with 1009', async (t) => {
  const { base } = await listening(t, { WS_MAX_CLIENT_MESSAGE_BYTES: '1024' })
  const topic = await createTopic(t, 'ftest_ws_big')
  const client = await connect(`${base}/ws?topics=${topic}`)
  client.ws.send('x'.repeat(2048))
  assert.equal((await client.closed).code, 1009)
})

test('a peer that misses pongs is dropped', async (t) => {
  const { app, base } = await listening(t, { WS_PING_SECONDS: '1' })
  const topic = await createTopic(t, 'ftest_ws_ping')
  const client = await connect(`${base}/ws?topics=${topic}`, { autoPong: false })
  const closed = await client.closed
  assert.equal(closed.code, 1006, 'terminated, not closed cleanly')
  await waitUntil(() => app.sessions.size === 0)
})

async function waitUntil (done: () => boolean | Promise<boolean>, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms
  while (!await done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.ok(await done(), 'condition reached in time')
}

test('a stalled client keeps its buffer bounded and does not slow another client; past the bound it is closed with 4008', async (t) => {
  const bound = 65536
  const { app, base } = await listening(t, { WS_MAX_BUFFERED_BYTES: String(bound), WS_STALL_SECONDS: '2' })
  const sample = alertFile('ztf', 'sample-part-00001.avro').path
  const { topic, count } = await topicWithAlerts(t, 'ftest_ws_stall', [sample, sample, sample, sample])
  const url = `${base}/ws?topics=${topic}&start=earliest`

  const stalled = await connect(url)
  // Stop reading: TCP buffers fill, then the gateway's send buffer.
  const rawSocket = (stalled.ws as unknown as { _socket: import('node:net').Socket })._socket
  rawSocket.pause()
  const reader = await connect(url)
  t.after(() => { stalled.ws.terminate(); reader.ws.terminate() })
  await reader.waitFor(`${count} alerts`, () => reader.alertCount() >= count, 40000)
  assert.equal(reader.alertCount(), count, 'the reading client got everything')

  const stalledStream = [...app.wsStreams].find((s) => s.stats.sent < count)
  assert.ok(stalledStream !== undefined, 'the stalled client did not get everything')
  assert.ok(stalledStream.stats.pauses >= 1, 'its stream paused')
  // At most one frame (a ZTF alert, < 200 KB) beyond the bound is ever queued.
  assert.ok(stalledStream.stats.maxBufferedAmount <= bound + 200 * 1024, `buffered ${stalledStream.stats.maxBufferedAmount}`)
  const slowCloses = async (): Promise<number> => (await app.metrics.slowClientClosesTotal.get()).values[0]?.value ?? 0
  const deadline = Date.now() + 15000
  while (await slowCloses() < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(await slowCloses(), 1)
  rawSocket.resume()
  const closed = await stalled.closed
  assert.equal(closed.code, 4008)
  const stall = statuses(stalled).find((s) => s.state === 'stalled') as { positions?: Array<{ topic: string, partition: number, next: number }> } | undefined
  assert.ok(stall?.positions !== undefined && stall.positions.length === 1, 'a status frame says where it stopped')
  assert.ok((stall.positions[0]?.next ?? count) < count)
})

test('200 connect/disconnect cycles leave no session, consumer, handle or thread behind', async (t) => {
  const { app, base } = await listening(t)
  const topic = await createTopic(t, 'ftest_ws_cycles')
  const handles = (): number => (process as unknown as { _getActiveHandles: () => unknown[] })._getActiveHandles().length
  const threads = (): number => readdirSync('/proc/self/task').length
  const cycle = async (): Promise<void> => {
    const c = await connect(`${base}/ws?topics=${topic}`)
    c.ws.close()
    await c.closed
  }
  await cycle()
  await waitUntil(() => app.sessions.size === 0)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const baseline = { handles: handles(), threads: threads() }
  for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 10 }, cycle))
  const gauge = async (): Promise<number | undefined> => (await app.metrics.sessionsOpen.get()).values.find((v) => v.labels.transport === 'ws')?.value
  await waitUntil(async () => app.sessions.size === 0 && await gauge() === 0)
  const opened = (await app.metrics.sessionsOpenedTotal.get()).values.find((v) => v.labels.transport === 'ws')?.value
  assert.equal(opened, 201)
  await waitUntil(() => handles() <= baseline.handles && threads() <= baseline.threads, 20000)
})

test('Kafka unreachable: the upgrade is refused with 503; no session is left', async (t) => {
  const { app, base } = await listening(t, { KAFKA_BROKERS: '127.0.0.1:1' })
  const refused = await refusedUpgrade(`${base}/ws?topics=ftest_any`)
  assert.equal(refused.status, 503)
  assert.equal(refused.body.code, 'FG_KAFKA_UNAVAILABLE')
  assert.equal(app.sessions.size, 0)
})

test('shutdown: a stream gets a closed status frame and close 1001, and its session is closed', async (t) => {
  const { app, base } = await listening(t)
  const topic = await createTopic(t, 'ftest_ws_shutdown')
  await produce(topic, numbered('s', 2))
  const client = await connect(`${base}/ws?topics=${topic}&group_id=${uniqueName('group')}`)
  await client.waitFor('2 alerts', () => client.alertCount() === 2)
  await app.close()
  const closed = await client.closed
  assert.equal(closed.code, 1001)
  assert.ok(statuses(client).some((s) => s.state === 'closed'))
  assert.equal(app.sessions.size, 0)
})

test('above the session limits the upgrade is refused with 429', async (t) => {
  const { base } = await listening(t, { MAX_SESSIONS_PER_PRINCIPAL: '1' })
  const topic = await createTopic(t, 'ftest_ws_limit')
  const first = await connect(`${base}/ws?topics=${topic}`)
  t.after(() => { first.ws.terminate() })
  const refused = await refusedUpgrade(`${base}/ws?topics=${topic}`)
  assert.equal(refused.status, 429)
  assert.equal(refused.body.code, 'FG_TOO_MANY_SESSIONS')
})
