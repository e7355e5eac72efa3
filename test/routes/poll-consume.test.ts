import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { connect as connectTcp, type AddressInfo } from 'node:net'
import { parse, stringify } from 'lossless-json'
import { buildApp, uniqueName } from '../helpers/app.js'
import { alertFile, expectedLines, jsonDifference } from '../avro/fink-alerts.js'
import { createTopic, numbered, produce, topicWithAlerts } from '../kafka/kafka-helpers.js'

const MULTI = alertFile('ztf', 'avro_multi_alerts.avro')

interface Item { topic: string, partition: number, offset: number, alert: unknown, schema: string | null, error?: { code: string } }

async function consume (app: Awaited<ReturnType<typeof buildApp>>, query: string): Promise<Item[]> {
  const res = await app.inject({ method: 'GET', url: `/consume?${query}` })
  assert.equal(res.statusCode, 200, res.body)
  return (JSON.parse(res.body) as { alerts: Item[] }).alerts
}

test('/poll returns one decoded item equal to the reference decoding, then 204 when nothing is left', async (t) => {
  const app = await buildApp(t)
  const { topic } = await topicWithAlerts(t, 'ftest_poll', [alertFile('ztf', 'ZTF19acihgng.avro').path])
  const group = uniqueName('group')
  const first = await app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${group}&timeout=15` })
  assert.equal(first.statusCode, 200, first.body)
  assert.match(first.headers['content-type'] as string, /^application\/json/)
  const item = parse(first.body) as Record<string, unknown>
  assert.equal(item.topic, topic)
  assert.equal(String(item.offset), '0')
  const expected = expectedLines(alertFile('ztf', 'ZTF19acihgng.avro'))[0] as string
  assert.equal(jsonDifference(stringify(item.alert) as string, expected), undefined)
  const second = await app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${group}&timeout=0.5` })
  assert.equal(second.statusCode, 204)
  assert.equal(second.body, '')
})

test('/consume returns num_alerts at once, two consumes never repeat an alert, exclude and int64 apply', async (t) => {
  const app = await buildApp(t)
  const { topic, count } = await topicWithAlerts(t, 'ftest_consume', [MULTI.path])
  assert.equal(count, 11)
  const group = uniqueName('group')
  const a = await consume(app, `topics=${topic}&group_id=${group}&num_alerts=4&timeout=20&exclude=cutouts&int64=string`)
  assert.equal(a.length, 4)
  for (const item of a) {
    const alert = item.alert as Record<string, unknown>
    assert.equal(alert.cutoutScience, undefined, 'cutouts excluded')
    assert.equal(typeof alert.candid, 'string', 'int64 as strings')
  }
  const b = await consume(app, `topics=${topic}&group_id=${group}&num_alerts=20&timeout=1`)
  assert.equal(b.length, 7)
  assert.deepEqual([...a, ...b].map((i) => i.offset), Array.from({ length: 11 }, (_, i) => i))
  const expected = expectedLines(MULTI)
  const full = await app.inject({ method: 'GET', url: `/consume?topics=${topic}&group_id=${uniqueName('group')}&num_alerts=11&timeout=20` })
  const alerts = (parse(full.body) as { alerts: Array<{ alert: unknown }> }).alerts
  assert.equal(alerts.length, 11)
  alerts.forEach((item, i) => {
    assert.equal(jsonDifference(stringify(item.alert) as string, expected[i] as string), undefined, `alert ${i}`)
  })
})

test('two groups read the same topic independently', async (t) => {
  const app = await buildApp(t)
  const topic = await createTopic(t, 'ftest_groups')
  await produce(topic, numbered('m', 3))
  const one = await consume(app, `topics=${topic}&group_id=${uniqueName('g1')}&num_alerts=3&timeout=20`)
  const two = await consume(app, `topics=${topic}&group_id=${uniqueName('g2')}&num_alerts=3&timeout=20`)
  assert.deepEqual(one.map((i) => i.offset), [0, 1, 2])
  assert.deepEqual(two.map((i) => i.offset), [0, 1, 2])
  // Not Avro: each becomes an error item and the stream goes on.
  assert.ok(one.every((i) => i.alert === null && typeof i.error?.code === 'string'))
})

test('at-least-once: alerts of a response the client never got come again', async (t) => {
  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const topic = await createTopic(t, 'ftest_alo')
  await produce(topic, numbered('v', 3))
  const group = uniqueName('group')
  const base = `topics=${topic}&group_id=${group}`

  // The client asks for more than there is and goes away while the gateway waits.
  await new Promise<void>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: `/consume?${base}&num_alerts=100&timeout=20` })
    req.on('error', () => { resolve() })
    req.end()
    setTimeout(() => { req.destroy(); resolve() }, 3000)
  })
  // Wait until the gateway has handed the session back.
  let again: Item[] = []
  for (let i = 0; i < 50; i++) {
    const res = await app.inject({ method: 'GET', url: `/consume?${base}&num_alerts=3&timeout=10` })
    if (res.statusCode === 409) { await new Promise((resolve) => setTimeout(resolve, 200)); continue }
    again = (JSON.parse(res.body) as { alerts: Item[] }).alerts
    break
  }
  assert.deepEqual(again.map((i) => i.offset), [0, 1, 2], 'the same alerts come again')
  const after = await consume(app, `${base}&num_alerts=3&timeout=1`)
  assert.deepEqual(after, [], 'delivered alerts do not come a third time')
})

test('at-least-once: a response cut off while its body is being written is not committed', async (t) => {
  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const sample = alertFile('ztf', 'sample-part-00001.avro').path
  // About 13 MB of alerts: far more than the socket buffers hold while the client reads nothing.
  const { topic, count } = await topicWithAlerts(t, 'ftest_alo_big', [sample, sample, sample, sample])
  const base = `topics=${topic}&group_id=${uniqueName('group')}`
  const socket = connectTcp(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.pause()
  socket.write(`GET /consume?${base}&num_alerts=${count}&timeout=20 HTTP/1.1\r\nHost: localhost\r\n\r\n`)
  // Wait until the gateway has started writing the body (the client holds its first bytes), then hang up.
  const deadline = Date.now() + 20000
  while (socket.readableLength === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.ok(socket.readableLength > 0, 'the response had started')
  socket.destroy()
  let again: Item[] = []
  for (let i = 0; i < 50; i++) {
    // Over a real connection this time, read in full: committed on 'finish'.
    const res = await fetch(`http://127.0.0.1:${port}/consume?${base}&num_alerts=5&timeout=10&exclude=cutouts`)
    if (res.status === 409) { await res.arrayBuffer(); await new Promise((resolve) => setTimeout(resolve, 200)); continue }
    again = ((await res.json()) as { alerts: Item[] }).alerts
    break
  }
  assert.deepEqual(again.map((i) => i.offset), [0, 1, 2, 3, 4], 'the alerts of the cut-off response come again')
  const group = new URLSearchParams(base).get('group_id') as string
  let committed: number | null = null
  for (let i = 0; i < 50 && committed !== 5; i++) {
    committed = (await app.kafkaAdmin.groupOffsets(topic, group, null, 5000))[0]?.committed ?? null
    if (committed !== 5) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.equal(committed, 5, 'a response read in full is committed')
})

test('a second request on a busy session gets 409; limits give 429; an unknown topic 404', async (t) => {
  const app = await buildApp(t, { MAX_SESSIONS_PER_PRINCIPAL: '2' })
  const topic = await createTopic(t, 'ftest_busy')
  const group = uniqueName('group')
  const slow = app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${group}&timeout=4` })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const busy = await app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${group}&timeout=1` })
  assert.equal(busy.statusCode, 409, busy.body)
  assert.equal(busy.json().code, 'FG_SESSION_BUSY')
  assert.equal((await slow).statusCode, 204)

  assert.equal((await app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${uniqueName('other')}&timeout=0` })).statusCode, 204)
  const tooMany = await app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${uniqueName('third')}&timeout=0` })
  assert.equal(tooMany.statusCode, 429, tooMany.body)
  assert.equal(tooMany.json().code, 'FG_TOO_MANY_SESSIONS')

  const missing = await app.inject({ method: 'GET', url: `/poll?topics=${uniqueName('ftest_missing')}&group_id=${group}&timeout=1` })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'FG_TOPIC_NOT_FOUND')
  assert.equal(app.sessions.size, 2, 'an unknown topic costs no session')
})

test('a REST session asked for a different start is reopened there', async (t) => {
  const app = await buildApp(t)
  const topic = await createTopic(t, 'ftest_restart')
  await produce(topic, numbered('s', 2))
  const base = `topics=${topic}&group_id=${uniqueName('group')}`
  assert.deepEqual((await consume(app, `${base}&num_alerts=2&timeout=20`)).map((i) => i.offset), [0, 1])
  assert.deepEqual(await consume(app, `${base}&num_alerts=2&timeout=0.5`), [])
  assert.deepEqual((await consume(app, `${base}&num_alerts=2&timeout=20&start=earliest`)).map((i) => i.offset), [0, 1])
  assert.deepEqual(await consume(app, `${base}&num_alerts=2&timeout=0.5&start=earliest`), [], 'the same start keeps the session and its position')
})

test('Kafka unreachable: 503 FG_KAFKA_UNAVAILABLE, not a hang', async (t) => {
  const app = await buildApp(t, { KAFKA_BROKERS: '127.0.0.1:1' })
  const res = await app.inject({ method: 'GET', url: '/poll?topics=ftest_x&group_id=g&timeout=2' })
  assert.equal(res.statusCode, 503, res.body)
  assert.equal(res.json().code, 'FG_KAFKA_UNAVAILABLE')
  assert.equal(app.sessions.size, 0)
})

test('start=latest and start by time over REST', async (t) => {
  const app = await buildApp(t)
  const topic = await createTopic(t, 'ftest_rest_start')
  const t0 = Date.now() - 120000
  await produce(topic, [
    { value: Buffer.from('old'), timestamp: t0 },
    { value: Buffer.from('newer'), timestamp: t0 + 60000 }
  ])
  const latest = `topics=${topic}&group_id=${uniqueName('latest')}`
  const empty = await app.inject({ method: 'GET', url: `/poll?${latest}&start=latest&timeout=3` })
  assert.equal(empty.statusCode, 204, 'nothing before the live end')
  await produce(topic, numbered('live', 1))
  const live = await app.inject({ method: 'GET', url: `/poll?${latest}&timeout=15` })
  assert.equal(live.statusCode, 200)
  assert.equal(live.json().offset, 2)

  const since = new Date(t0 + 1000).toISOString()
  const byTime = await consume(app, `topics=${topic}&group_id=${uniqueName('time')}&start=${since}&num_alerts=5&timeout=3`)
  assert.deepEqual(byTime.map((i) => i.offset), [1, 2])
  const byEpoch = await consume(app, `topics=${topic}&group_id=${uniqueName('time')}&start=${t0 + 61000}&num_alerts=5&timeout=3`)
  assert.deepEqual(byEpoch.map((i) => i.offset), [2])
})
