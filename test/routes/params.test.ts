import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config.js'
import { parseConsumeParams, parsePollParams, parseStreamParams, parseStart } from '../../src/routes/params.js'
import { buildApp } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'

const config = loadConfig({ MAX_TIMEOUT_SECONDS: '60', MAX_NUM_ALERTS: '1000' })

test('parsing: defaults, start forms, exclude, int64', () => {
  const p = parseConsumeParams({ topics: 'a, b,a', group_id: 'g' }, config)
  assert.deepEqual(p.topics, ['a', 'b'])
  assert.equal(p.numAlerts, 10)
  assert.equal(p.timeoutMs, 30000)
  assert.equal(p.start, undefined)
  assert.equal(p.item.int64, 'number')
  assert.equal(parsePollParams({ topics: 'a', group_id: 'g', timeout: '0.25' }, config).timeoutMs, 250)
  assert.deepEqual(parseStart({ start: 'earliest' }), { kind: 'earliest' })
  assert.deepEqual(parseStart({ start: 'latest' }), { kind: 'latest' })
  assert.deepEqual(parseStart({ start: '1774267200000' }), { kind: 'time', ms: 1774267200000 })
  assert.deepEqual(parseStart({ start: '2026-03-23T12:00:00Z' }), { kind: 'time', ms: Date.UTC(2026, 2, 23, 12) })
  assert.deepEqual(parseStart({ start: '2026-03-23' }), { kind: 'time', ms: Date.UTC(2026, 2, 23) })
  assert.deepEqual(parseStart({ start: '2026-03-23T14:00:00+02:00' }), { kind: 'time', ms: Date.UTC(2026, 2, 23, 12) })
  const s = parseStreamParams({ topics: 't', exclude: 'cutouts,prv_candidates', int64: 'string', ack: 'manual' })
  assert.equal(s.groupId, null)
  assert.equal(s.ack, 'manual')
  assert.equal(s.item.int64, 'string')
  assert.deepEqual([...s.item.exclude].sort(), ['cutoutDifference', 'cutoutScience', 'cutoutTemplate', 'prv_candidates'])
})

const bad: Array<[string, string, RegExp]> = [
  ['/poll', 'group_id=g', /topics is required/],
  ['/poll', 'topics=&group_id=g', /topics is required/],
  ['/poll', 'topics=a/b&group_id=g', /not a valid Kafka topic name/],
  ['/poll', 'topics=TOPIC', /group_id is required/],
  ['/poll', 'topics=TOPIC&group_id=fink-gateway-tmp-1', /reserved/],
  ['/poll', 'topics=TOPIC&group_id=%20', /group_id is blank/],
  ['/poll', 'topics=TOPIC&group_id=%20g', /starts or ends with white space/],
  ['/topics/TOPIC/offsets', 'group_id=%20', /group_id is blank/],
  ['/poll', 'topics=TOPIC&group_id=g&timeout=abc', /timeout="abc" is not a number of seconds/],
  ['/poll', 'topics=TOPIC&group_id=g&timeout=-1', /not a number of seconds/],
  ['/poll', 'topics=TOPIC&group_id=g&timeout=61', /above the maximum of 60/],
  ['/poll', 'topics=TOPIC&group_id=g&timeout=1&timeout=2', /given 2 times/],
  ['/poll', 'topics=TOPIC&group_id=g&start=tomorrow', /start="tomorrow" is not earliest, latest/],
  ['/poll', 'topics=TOPIC&group_id=g&start=2026-13-45', /is not earliest, latest/],
  ['/poll', 'topics=TOPIC&group_id=g&int64=float', /int64="float" is not number or string/],
  ['/poll', 'topics=TOPIC&group_id=g&exclude=a-b', /not a field name/],
  ['/consume', 'topics=TOPIC&group_id=g&num_alerts=0', /out of range; use 1 to 1000/],
  ['/consume', 'topics=TOPIC&group_id=g&num_alerts=1001', /out of range/],
  ['/consume', 'topics=TOPIC&group_id=g&num_alerts=2.5', /not a whole number/],
  ['/consume', 'topics=TOPIC&group_id=g&num_alerts=ten', /not a whole number/]
]

test('every bad parameter gets 400 FG_BAD_PARAMETER with a message naming it, before Kafka is asked', async (t) => {
  const app = await buildApp(t, { MAX_TIMEOUT_SECONDS: '60', MAX_NUM_ALERTS: '1000' })
  const topic = await createTopic(t, 'ftest_params')
  for (const [path, query, message] of bad) {
    const res = await app.inject({ method: 'GET', url: `${path.replace('TOPIC', topic)}?${query.replace('TOPIC', topic)}` })
    assert.equal(res.statusCode, 400, `${path}?${query}: ${res.body}`)
    const body = res.json() as { code: string, message: string, statusCode: number, error: string }
    assert.equal(body.code, 'FG_BAD_PARAMETER', query)
    assert.equal(body.statusCode, 400)
    assert.match(body.message, message, query)
  }
  assert.equal(app.sessions.size, 0, 'no session was opened for a bad request')
})
