/**
 * Fuzzing the real server process: random and boundary values for every query parameter of
 * /poll /consume /ws (plain GET and real upgrades) /sse /topics /topics/{t}/offsets /alerts
 * /schemas (with the feature parameters filter, until, cursor, format), random WebSocket client
 * messages, and a topic of malformed
 * Avro values (truncated, garbage, huge lengths, empty) among real alerts. Invariants: the
 * process never dies, no 5xx (Kafka is up all along, so not even 503), every 4xx is a JSON
 * error with an FG_ code, and REST and WebSocket reads go past bad messages with error items.
 * The PRNG is seeded (FUZZ_SEED, printed) so a failure can be replayed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { setTimeout as sleep } from 'node:timers/promises'
import { uniqueName } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { Received, WsReader, get, loadAlerts, produceAll, reportFigures, spawnGateway, waitFor, type AlertMessage } from '../helpers/faults.js'

const REQUESTS = 2000
const CONCURRENCY = 8
const WS_MESSAGES = 300
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)

/** mulberry32: small, seeded, good enough to pick test values. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const random = prng(SEED)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T

function randomText (max: number): string {
  const n = Math.floor(random() * max)
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCodePoint(pick([32 + Math.floor(random() * 95), Math.floor(random() * 0x2FF), 0x1F600 + Math.floor(random() * 50), 0]))
  return s
}

function malformedValues (real: Buffer): Array<{ name: string, value: Buffer }> {
  const garbage = Buffer.alloc(300)
  for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256)
  return [
    { name: 'truncated half', value: real.subarray(0, Math.floor(real.length / 2)) },
    { name: 'truncated 10 bytes', value: real.subarray(0, 10) },
    { name: 'garbage', value: garbage },
    // a first string field claiming ~1 GiB / 2^62 bytes (zig-zag varints), then nothing
    { name: 'huge string length', value: Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f, 0x41]) },
    { name: 'huge long length', value: Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) },
    { name: 'empty', value: Buffer.alloc(0) },
    { name: 'real plus trailing bytes', value: Buffer.concat([real, Buffer.from('trailing')]) }
  ]
}

/** A WebSocket upgrade: 101 (then closed at once) or the refusal's status and body. */
async function upgrade (port: number, path: string): Promise<{ status: number, body: string, error?: string }> {
  let ws: WebSocket
  try {
    ws = new WebSocket(`ws://127.0.0.1:${port}${path}`)
  } catch (err) {
    return { status: 101, body: '', error: `not sent: ${(err as Error).message}` } // the client refused the URL
  }
  return await new Promise((resolve) => {
    ws.once('open', () => { ws.terminate(); resolve({ status: 101, body: '' }) })
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    ws.once('error', (err) => { resolve({ status: 0, body: '', error: err.message }) })
  })
}

test('fuzzing: parameters, WebSocket messages and malformed Avro: no crash, no 5xx, streams go past bad messages', { timeout: 300000 }, async (t) => {
  const alerts = await loadAlerts()
  const first = alerts[0] as AlertMessage
  const bad = malformedValues(first.value)
  // real, bad…, real: the last real one must come after the bad ones
  const messages: AlertMessage[] = [first, ...bad.map((b) => ({ value: b.value, key: first.key })), alerts[1] as AlertMessage]
  const topic = await createTopic(t, 'ftest_fuzz')
  await produceAll(topic, messages)
  const gw = await spawnGateway(t, { MAX_TIMEOUT_SECONDS: '2', MAX_NUM_ALERTS: '50', REST_SESSION_IDLE_SECONDS: '2', WS_MAX_CLIENT_MESSAGE_BYTES: '4096' })

  // --- the malformed topic, read over REST and WebSocket ---
  const consumed = await get(gw.port, `/consume?topics=${topic}&group_id=${uniqueName('fuzz_read')}&num_alerts=50&timeout=2&start=earliest`)
  assert.equal(consumed.status, 200, consumed.body.slice(0, 500))
  const items = (JSON.parse(consumed.body) as { alerts: Array<{ offset: number, alert: unknown, error?: { code: string } }> }).alerts
  assert.equal(items.length, messages.length, 'one item per message, the bad ones included')
  const restErrorItems = items.filter((i) => i.error !== undefined && i.error !== null)
  assert.ok(items[0]?.alert !== null && items.at(-1)?.alert !== null, 'the real alerts around the bad ones decode')
  assert.ok(restErrorItems.length >= bad.length - 1, `${restErrorItems.length} error items for ${bad.length} malformed values`)
  for (const e of restErrorItems) assert.match(e.error?.code ?? '', /^FG_/)

  const wsReceived = new Received()
  const reader = new WsReader({ port: gw.port, query: `topics=${topic}&start=earliest&ack=manual&group_id=${uniqueName('fuzz_ws')}`, received: wsReceived })
  await reader.opened()
  await waitFor('the stream to pass the bad messages', () => wsReceived.has(topic, 0, messages.length - 1), 20000)
  assert.equal(wsReceived.errorItems, restErrorItems.length)

  // --- random WebSocket client messages on that stream ---
  const wsMessages: Array<string | Buffer> = []
  for (let i = 0; i < WS_MESSAGES; i++) {
    wsMessages.push(pick([
      () => randomText(200),
      () => JSON.stringify({ type: pick(['ack', 'ACK', 'nack', '', null, 1]), topic: pick([topic, '', randomText(20), 5, null]), partition: pick([0, -1, 1.5, 2 ** 53, '0', null, 1e308]), offset: pick([0, -1, 1, 2 ** 63, '1', null, NaN, messages.length + 100]) }),
      () => JSON.stringify(pick([null, [], {}, 1, 'x', true, { type: 'ack' }, { __proto__: { type: 'ack' } }, { type: 'ack', topic, partition: 0, offset: 0, extra: 'x'.repeat(100) }])),
      () => Buffer.from(randomText(50)),
      () => '{"type":"ack",' + '"a":'.repeat(200),
      () => '['.repeat(1000)
    ])())
  }
  for (const m of wsMessages) reader.ws.send(m)
  await sleep(1000)
  assert.equal(reader.ws.readyState, WebSocket.OPEN, 'the stream survives random client messages')
  const errorFramesBeforeOversize = reader.errors.length
  reader.ws.send('x'.repeat(8192)) // over WS_MAX_CLIENT_MESSAGE_BYTES: closed by the server
  const oversizeClose = await Promise.race([reader.closed, sleep(10000).then(() => null)])
  assert.equal(oversizeClose, 1009)

  // --- random query parameters ---
  const boundary = ['', ' ', '0', '-0', '-1', '1', '0.001', '1.5', '2', '2.0001', '50', '51', '1e309', '1e-7', 'NaN', 'Infinity', '-Infinity',
    '9007199254740993', '18446744073709551616', '0x10', '1_000', '01', '+1', '٣', 'true', 'null', '[]', '{}', 'earliest', 'latest', 'now',
    '1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '-8640000000000001', 'number', 'string', 'auto', 'manual',
    'cutouts', ',', ',,,', 'a,', 'ftest_nope_' + 'x'.repeat(300), 'x'.repeat(10000), '../../etc/passwd', '%00', '%', '%zz', '\u0000', 'é', '🙂']
  const valueFor = (name: string): string => {
    const r = random()
    if (r < 0.25 && name === 'topics') return topic
    if (r < 0.25 && name === 'group_id') return uniqueName('fuzz')
    if (r < 0.6) return pick(boundary)
    return randomText(40)
  }
  const enc = (v: string): string => pick([true, true, false]) ? encodeURIComponent(v) : v.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c))
  const readParams = ['topics', 'group_id', 'start', 'exclude', 'int64', 'timeout', 'num_alerts', 'ack', 'filter', 'until', 'cursor', 'format']
  const endpoints: Array<() => string> = [
    () => '/poll', () => '/consume', () => '/ws', () => '/sse', () => '/topics',
    () => `/topics/${enc(pick([topic, valueFor('x')]))}/offsets`,
    () => `/alerts/${enc(pick([topic, valueFor('x')]))}/${enc(pick(['0', valueFor('x')]))}/${enc(pick(['0', '1', '3', valueFor('x')]))}`,
    () => `/alerts/${topic}/0/${enc(pick(['0', '2', '8', valueFor('x')]))}/cutouts/${enc(pick(['science', 'template', 'difference', valueFor('x')]))}.png`,
    () => `/schemas/${enc(valueFor('x'))}`
  ]
  const statuses = new Map<number, number>()
  const problems: string[] = []
  let sent = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (sent < REQUESTS) {
      sent++
      let path = pick(endpoints)()
      const params = readParams.filter(() => random() < 0.5)
      if (random() < 0.1) params.push(pick(readParams)) // a repeated parameter
      if (params.length > 0) path += '?' + params.map((p) => `${p}=${enc(valueFor(p))}`).join('&')
      const answer = path.startsWith('/ws') && random() < 0.5
        ? await upgrade(gw.port, path)
        : await get(gw.port, path, { timeoutMs: 20000, stream: path.startsWith('/sse') })
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      if (answer.status === 0 || answer.status >= 500) problems.push(`${answer.status} ${answer.error ?? ''} ${path.slice(0, 300)} ${answer.body.slice(0, 300)}`)
      else if (answer.status >= 400 && answer.status !== 414 && answer.status !== 431) {
        try {
          const body = JSON.parse(answer.body) as { code?: unknown }
          if (typeof body.code !== 'string' || !body.code.startsWith('FG_')) problems.push(`${answer.status} without an FG_ code: ${path.slice(0, 200)} ${answer.body.slice(0, 200)}`)
        } catch {
          problems.push(`${answer.status} not JSON: ${path.slice(0, 200)} ${answer.body.slice(0, 200)}`)
        }
      }
    }
  }))

  const health = await get(gw.port, '/healthz')
  reportFigures('fuzz', {
    seed: SEED,
    requests: REQUESTS,
    statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
    problems: problems.length,
    malformed: { messages: messages.length, bad: bad.length, restErrorItems: restErrorItems.length, wsErrorItems: wsReceived.errorItems, errorCodes: [...new Set(restErrorItems.map((e) => e.error?.code))] },
    ws: { clientMessages: WS_MESSAGES, errorFrames: errorFramesBeforeOversize, oversizeClose },
    alive: gw.child.exitCode === null
  })
  assert.deepEqual(problems.slice(0, 20), [])
  assert.equal(gw.child.exitCode, null, 'the gateway is still running')
  assert.equal(health.status, 200)
})
