/**
 * Issue 8 features over REST (/poll, /consume) against real Kafka with real ZTF alerts:
 * filter, until, cursors (across app instances), retention gap warnings, format=avro.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import avsc from 'avsc'
import { BigIntLongType } from '../../src/avro/long-type.js'
import { buildApp, KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { replayFiles } from '../../scripts/replay.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { decodeCursor } from '../../src/cursor/index.js'
import { ZTF_FILE, alertTopic, deleteRecordsBefore, deleteRecordsUnavailable, get, parseExact, q, type Item } from './features-helpers.js'

const LIGHT = 'cutouts,prv_candidates'

test('filter: only matching alerts, the others still committed and counted; num_alerts counts matches; bad filter is a 400 before any session', async (t) => {
  const app = await buildApp(t)
  const { topic, count } = await alertTopic(t, 'ftest_filter')
  assert.equal(count, 31)
  const all = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 31, timeout: 20, exclude: LIGHT })}`)
  assert.equal(all.status, 200)
  const items = all.body.alerts as Item[]
  assert.equal(items.length, 31)
  const mags = items.map((i) => i.alert.candidate.magpsf as number).sort((a, b) => a - b)
  const threshold = mags[15] as number
  const expected = items.filter((i) => i.alert.candidate.magpsf < threshold).map((i) => i.offset)
  assert.ok(expected.length > 3 && expected.length < 31, `a filter that splits the alerts (${expected.length})`)

  const group = uniqueName('g')
  // Asks for one more than match: the answer comes at the timeout, after every alert was judged.
  const filtered = await get(app, `/consume?${q({ topics: topic, group_id: group, start: 'earliest', num_alerts: expected.length + 1, timeout: 3, exclude: LIGHT, filter: `candidate.magpsf < ${threshold}` })}`)
  assert.equal(filtered.status, 200)
  assert.deepEqual(filtered.body.alerts.map((i: Item) => i.offset), expected)
  for (const i of filtered.body.alerts as Item[]) assert.ok(i.alert.candidate.magpsf < threshold)
  // The group is committed past every alert read, matching or not.
  const offsets = await app.kafkaAdmin.groupOffsets(topic, group, null, 5000)
  assert.equal(offsets[0]?.committed, 31)
  const counted = (await app.metrics.alertsFilteredTotal.get()).values.find((v) => v.labels.topic === topic)?.value
  assert.equal(counted, 31 - expected.length)

  // num_alerts counts matching alerts: the request keeps pulling past non-matching ones.
  const two = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 2, timeout: 10, exclude: LIGHT, filter: `candidate.magpsf >= ${threshold}` })}`)
  const expectedTwo = items.filter((i) => i.alert.candidate.magpsf >= threshold).slice(0, 2).map((i) => i.offset)
  assert.deepEqual(two.body.alerts.map((i: Item) => i.offset), expectedTwo)
  // /poll too: the first matching alert.
  const poll = await get(app, `/poll?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', timeout: 10, exclude: LIGHT, filter: `candidate.magpsf < ${threshold}` })}`)
  assert.equal(poll.status, 200)
  assert.equal(poll.body.offset, expected[0])
  // Delivered-alert metrics count what was sent, not what was filtered out.
  const delivered = (await app.metrics.alertsDeliveredTotal.get()).values.find((v) => v.labels.topic === topic && v.labels.transport === 'rest')?.value
  assert.equal(delivered, 31 + expected.length + 2 + 1)

  const before = app.sessions.size
  const bad = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), filter: 'candidate.magpsf << 18' })}`)
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'FG_BAD_FILTER')
  assert.match(bad.body.message, /position 18/)
  assert.equal(app.sessions.size, before, 'no session opened for a malformed filter')
})

test('until: a bounded replay ends with end_of_stream; later alerts are neither delivered nor committed', async (t) => {
  const app = await buildApp(t)
  // The alerts twice, the second time strictly later: until = the last timestamp of the first pass.
  const { topic } = await alertTopic(t, 'ftest_until')
  await new Promise((resolve) => setTimeout(resolve, 20))
  await replayFiles({ paths: [ZTF_FILE], topic, brokers: KAFKA_BROKERS, key: 'schema', partitions: 1 })
  const all = (await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 62, timeout: 20, exclude: LIGHT })}`)).body.alerts as Item[]
  assert.equal(all.length, 62)
  const until = Math.max(...all.slice(0, 31).map((i) => i.timestamp as number))
  const expected = all.filter((i) => i.timestamp <= until).map((i) => i.offset)
  assert.equal(expected.length, 31)

  const group = uniqueName('g')
  const url = `/consume?${q({ topics: topic, group_id: group, start: 'earliest', num_alerts: 100, timeout: 20, exclude: LIGHT, until: new Date(until).toISOString() })}`
  const started = Date.now()
  const first = await get(app, url)
  assert.equal(first.status, 200)
  assert.equal(first.body.end_of_stream, true)
  assert.deepEqual(first.body.alerts.map((i: Item) => i.offset), expected)
  assert.ok(Date.now() - started < 15000, 'returned at the end of the stream, not at the timeout')
  // Nothing after until was committed, and the same session answers the end again at once.
  const offsets = await app.kafkaAdmin.groupOffsets(topic, group, null, 5000)
  assert.equal(offsets[0]?.committed, expected.length)
  const again = await get(app, `/consume?${q({ topics: topic, group_id: group, num_alerts: 100, timeout: 20, exclude: LIGHT, until })}`)
  assert.deepEqual(again.body, { alerts: [], end_of_stream: true })
  // Without until the alerts after it come (they were held, not skipped).
  const rest = await get(app, `/consume?${q({ topics: topic, group_id: group, num_alerts: 31, timeout: 20, exclude: LIGHT })}`)
  assert.deepEqual(rest.body.alerts.map((i: Item) => i.offset), all.filter((i) => i.timestamp > until).map((i) => i.offset))

  const early = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: '2026-03-23T00:00:00Z', until: '2026-03-22T00:00:00Z' })}`)
  assert.equal(early.status, 400)
  assert.match(early.body.message, /until/)
})

test('cursor: resumes exactly after an item on another app instance and another group; bad cursors are 400', async (t) => {
  const app = await buildApp(t)
  const { topic } = await alertTopic(t, 'ftest_cursor', 2)
  const first = (await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 5, timeout: 10, exclude: LIGHT })}`)).body.alerts as Item[]
  assert.equal(first.length, 5)
  for (const i of first) assert.equal(typeof i.cursor, 'string')
  const cursor = first[4]?.cursor as string
  const positions = decodeCursor(cursor)
  for (const i of first) assert.ok((positions.get(topic)?.get(i.partition) ?? 0) > i.offset, 'the cursor is past every item before it')

  const other = await buildApp(t)
  const group = uniqueName('g')
  const resumed = (await get(other, `/consume?${q({ topics: topic, group_id: group, cursor, num_alerts: 26, timeout: 20, exclude: LIGHT })}`)).body.alerts as Item[]
  const key = (i: Item): string => `${i.partition}:${i.offset}`
  const seen = [...first, ...resumed].map(key)
  assert.equal(new Set(seen).size, seen.length, 'no alert twice')
  assert.equal(seen.length, 31, 'no alert lost')
  for (const [partition, next] of positions.get(topic) ?? []) {
    const firstResumed = resumed.find((i) => i.partition === partition)
    if (firstResumed !== undefined) assert.equal(firstResumed.offset, next, `partition ${partition} resumes at the cursor`)
  }
  // The resumed group is committed too.
  const committed = await other.kafkaAdmin.groupOffsets(topic, group, null, 5000)
  assert.equal(committed.reduce((n, p) => n + (p.committed ?? 0), 0), 31)

  const foreign = await get(other, `/consume?${q({ topics: 'some_other_topic', group_id: uniqueName('g'), cursor })}`)
  assert.equal(foreign.status, 400)
  assert.equal(foreign.body.code, 'FG_BAD_CURSOR')
  const garbage = await get(other, `/consume?${q({ topics: topic, group_id: uniqueName('g'), cursor: 'not*a*cursor' })}`)
  assert.equal(garbage.status, 400)
  assert.equal(garbage.body.code, 'FG_BAD_CURSOR')
})

test('format=avro: the exact Kafka value bytes and the writer schema id; they decode to the JSON item\'s alert', async (t) => {
  const app = await buildApp(t)
  const { topic } = await alertTopic(t, 'ftest_raw')
  const json = await app.inject({ method: 'GET', url: `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 3, timeout: 10, int64: 'string' })}` })
  const raw = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', num_alerts: 3, timeout: 10, format: 'avro' })}`)
  const decoded = (parseExact(json.body) as { alerts: Item[] }).alerts
  const items = raw.body.alerts as Item[]
  assert.equal(items.length, 3)
  for (const [n, item] of items.entries()) {
    assert.equal(item.alert, undefined)
    assert.equal(typeof item.cursor, 'string')
    const schema = await app.inject({ method: 'GET', url: `/schemas/${item.schema as string}` })
    assert.equal(schema.statusCode, 200)
    // longs as bigint: the 2026 schema has int64 values above 2^53
    const type = avsc.Type.forSchema(JSON.parse(schema.body), { registry: { long: BigIntLongType } } as never)
    const value = type.fromBuffer(Buffer.from(item.value as string, 'base64')) as Record<string, any>
    const expected = decoded[n] as Item
    assert.equal(item.offset, Number(expected.offset))
    assert.equal(value.objectId, expected.alert.objectId)
    assert.equal(String(value.candid), expected.alert.candid)
    assert.equal(value.candidate.magpsf, Number(expected.alert.candidate.magpsf))
    assert.equal(item.schema, expected.schema)
  }
  const bad = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), format: 'xml' })}`)
  assert.equal(bad.status, 400)
})

test('retention gap: committed offsets and cursors before the low watermark get a warning with the alerts lost', async (t) => {
  const unavailable = deleteRecordsUnavailable()
  if (unavailable !== null) { t.skip(unavailable); return }
  const app = await buildApp(null)
  const { topic } = await alertTopic(t, 'ftest_gap')
  const group = uniqueName('g')
  const first = (await get(app, `/consume?${q({ topics: topic, group_id: group, start: 'earliest', num_alerts: 3, timeout: 10, exclude: LIGHT })}`)).body.alerts as Item[]
  assert.deepEqual(first.map((i) => i.offset), [0, 1, 2])
  const cursor = first[0]?.cursor as string // next offset 1
  await deleteRecordsBefore(topic, 0, 10)
  await app.close() // its REST session leaves the group

  // A fresh instance (the first one keeps its session): the group's commit (3) is before low (10).
  const other = await buildApp(t)
  const after = await get(other, `/consume?${q({ topics: topic, group_id: group, num_alerts: 2, timeout: 10, exclude: LIGHT })}`)
  assert.equal(after.status, 200)
  assert.deepEqual(after.body.warnings?.[0]?.partitions, [{ topic, partition: 0, requested: 3, low: 10, lost: 7 }])
  assert.equal(after.body.warnings[0].warning, 'retention_gap')
  assert.deepEqual(after.body.alerts.map((i: Item) => i.offset), [10, 11])
  // The next request of the same session has no warning.
  const next = await get(other, `/consume?${q({ topics: topic, group_id: group, num_alerts: 1, timeout: 10, exclude: LIGHT })}`)
  assert.equal(next.body.warnings, undefined)

  const byCursor = await get(other, `/poll?${q({ topics: topic, group_id: uniqueName('g'), cursor, timeout: 10, exclude: LIGHT })}`)
  assert.equal(byCursor.status, 200)
  assert.deepEqual(JSON.parse(byCursor.headers['fink-retention-gap'] as string), [{ topic, partition: 0, requested: 1, low: 10, lost: 9 }])
  assert.equal(byCursor.body.offset, 10)
})

test('an empty topic with until in the past ends at once', async (t) => {
  const app = await buildApp(t)
  const topic = await createTopic(t, 'ftest_until_empty')
  const res = await get(app, `/consume?${q({ topics: topic, group_id: uniqueName('g'), start: 'earliest', until: '2026-01-01T00:00:00Z', timeout: 20 })}`)
  assert.deepEqual(res.body, { alerts: [], end_of_stream: true })
})
