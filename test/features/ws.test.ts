/**
 * Issue 8 features on /ws against real Kafka with real ZTF alerts: filter with until (end of
 * stream, close 1000), format=avro binary frames decoded with the writer schema, cursor resume.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import avsc from 'avsc'
import { BigIntLongType } from '../../src/avro/long-type.js'
import { buildApp, uniqueName } from '../helpers/app.js'
import { alertTopic, get, q, type App, type Item } from './features-helpers.js'

const LIGHT = 'cutouts,prv_candidates'

async function listening (t: TestContext): Promise<{ app: App, base: string }> {
  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, base: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

interface Frames { text: any[], binary: Buffer[], closed: Promise<{ code: number }>, ws: WebSocket }

async function connect (url: string): Promise<Frames> {
  const ws = new WebSocket(url)
  const frames: Frames = { text: [], binary: [], ws, closed: new Promise((resolve) => { ws.on('close', (code) => { resolve({ code }) }) }) }
  ws.on('message', (data, isBinary) => {
    if (isBinary) frames.binary.push(data as Buffer)
    else frames.text.push(JSON.parse(data.toString()))
  })
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  return frames
}

async function waitFor (what: string, done: () => boolean, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('/ws filter + until: matching alerts with cursors, an end_of_stream status counting the filtered ones, close 1000', async (t) => {
  const { app, base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_ws_until')
  const until = Date.now() + 1000
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const all = (await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 31, timeout: 10, exclude: LIGHT })}`)).body.alerts as Item[]
  const expected = all.filter((i) => i.alert.candidate.drb > 0.9).map((i) => i.offset)
  assert.ok(expected.length > 0 && expected.length < 31, `a filter that splits the alerts (${expected.length})`)
  const client = await connect(`${base}/ws?${q({ topics: topic, start: 'earliest', until, filter: 'candidate.drb > 0.9', exclude: LIGHT })}`)
  const { code } = await client.closed
  assert.equal(code, 1000)
  const alerts = client.text.filter((f) => f.type === 'alert')
  assert.deepEqual(alerts.map((a) => a.offset), expected)
  for (const a of alerts) assert.equal(typeof a.cursor, 'string')
  const end = client.text[client.text.length - 1]
  assert.equal(end.type, 'status')
  assert.equal(end.end_of_stream, true)
  assert.equal(end.filtered, 31 - expected.length)
  assert.equal(end.sent, expected.length)
  const filteredMetric = (await app.metrics.alertsFilteredTotal.get()).values.find((v) => v.labels.topic === topic)?.value
  assert.equal(filteredMetric, 31 - expected.length)
})

test('/ws format=avro: binary frames (length, header JSON, Avro value) that decode with the writer schema; cursor resumes', async (t) => {
  const { app, base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_ws_raw')
  const json = (await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 31, timeout: 10, exclude: LIGHT })}`)).body.alerts as Item[]
  const client = await connect(`${base}/ws?${q({ topics: topic, start: 'earliest', format: 'avro' })}`)
  await waitFor('5 binary frames', () => client.binary.length >= 5)
  client.ws.close()
  await client.closed
  const types = new Map<string, avsc.Type>()
  let lastCursor = ''
  for (const frame of client.binary.slice(0, 5)) {
    const headerLength = frame.readUInt32BE(0)
    const header = JSON.parse(frame.subarray(4, 4 + headerLength).toString('utf8'))
    const value = frame.subarray(4 + headerLength)
    let type = types.get(header.schema)
    if (type === undefined) {
      const schema = await app.inject({ method: 'GET', url: `/schemas/${header.schema as string}` })
      type = avsc.Type.forSchema(JSON.parse(schema.body), { registry: { long: BigIntLongType } } as never)
      types.set(header.schema, type)
    }
    const alert = type.fromBuffer(value) as Record<string, any>
    const expected = json[header.offset] as Item
    assert.equal(header.topic, topic)
    assert.equal(alert.objectId, expected.alert.objectId)
    assert.equal(alert.candidate.magpsf, expected.alert.candidate.magpsf)
    lastCursor = header.cursor
  }
  // A new connection resumes after the fifth frame.
  const resumed = await connect(`${base}/ws?${q({ topics: topic, cursor: lastCursor, exclude: LIGHT })}`)
  await waitFor('an alert', () => resumed.text.some((f) => f.type === 'alert'))
  resumed.ws.close()
  assert.equal(resumed.text.find((f) => f.type === 'alert').offset, 5)
})

test('/ws: a malformed filter is an HTTP 400 before the upgrade', async (t) => {
  const { base } = await listening(t)
  const { topic } = await alertTopic(t, 'ftest_ws_bad')
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${base}/ws?${q({ topics: topic, filter: 'cone(1, 2)' })}`)
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0) })
    ws.once('open', () => { ws.close(); resolve(101) })
    ws.once('error', () => {})
  })
  assert.equal(status, 400)
})
