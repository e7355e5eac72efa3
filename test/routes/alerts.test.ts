import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stringify, parse } from 'lossless-json'
import { buildApp } from '../helpers/app.js'
import { alertFile, expectedLines, jsonDifference } from '../avro/fink-alerts.js'
import { topicWithAlerts } from '../kafka/kafka-helpers.js'

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

test('GET /alerts/{topic}/{partition}/{offset} gives that alert, commits nothing; 404 outside the watermarks', async (t) => {
  const app = await buildApp(t)
  const file = alertFile('ztf', 'avro_multi_alerts.avro')
  const { topic } = await topicWithAlerts(t, 'ftest_permalink', [file.path])
  const res = await app.inject({ method: 'GET', url: `/alerts/${topic}/0/5` })
  assert.equal(res.statusCode, 200, res.body)
  const item = parse(res.body) as { offset: unknown, alert: unknown }
  assert.equal(String(item.offset), '5')
  assert.equal(jsonDifference(stringify(item.alert) as string, expectedLines(file)[5] as string), undefined)
  const slim = await app.inject({ method: 'GET', url: `/alerts/${topic}/0/5?exclude=cutouts&int64=string` })
  assert.equal(typeof slim.json().alert.candid, 'string')
  assert.equal(slim.json().alert.cutoutScience, undefined)

  for (const [path, status, code] of [
    [`/alerts/${topic}/0/11`, 404, 'FG_NOT_FOUND'],
    [`/alerts/${topic}/3/0`, 404, 'FG_NOT_FOUND'],
    [`/alerts/${topic}/0/-1`, 400, 'FG_BAD_PARAMETER'],
    [`/alerts/${topic}/x/1`, 400, 'FG_BAD_PARAMETER'],
    [`/alerts/${topic}_missing/0/1`, 404, 'FG_TOPIC_NOT_FOUND']
  ] as const) {
    const r = await app.inject({ method: 'GET', url: path })
    assert.equal(r.statusCode, status, path)
    assert.equal(r.json().code, code, path)
  }
  // The permalink reader's own group never commits.
  const offsets = await app.kafkaAdmin.groupOffsets(topic, `fink-gateway-permalink-${process.pid}`, null, 5000)
  assert.equal(offsets[0]?.committed, null, 'nothing was committed')
})

test('GET …/cutouts/{kind}.png renders each of the three cutouts as a PNG', async (t) => {
  const app = await buildApp(t)
  const { topic } = await topicWithAlerts(t, 'ftest_cutouts', [alertFile('ztf', 'ZTF19acihgng.avro').path])
  for (const kind of ['science', 'template', 'difference']) {
    const res = await app.inject({ method: 'GET', url: `/alerts/${topic}/0/0/cutouts/${kind}.png` })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.headers['content-type'], 'image/png')
    assert.deepEqual(res.rawPayload.subarray(0, 8), PNG_SIGNATURE)
  }
  const unknown = await app.inject({ method: 'GET', url: `/alerts/${topic}/0/0/cutouts/other.png` })
  assert.equal(unknown.statusCode, 404)
})
