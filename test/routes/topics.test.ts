import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp, uniqueName } from '../helpers/app.js'
import { groupTopics } from '../../src/routes/topics.js'
import { createTopic, numbered, produce } from '../kafka/kafka-helpers.js'

test('groupTopics sorts topics as fink-client does and hides internal ones', () => {
  assert.deepEqual(groupTopics([
    'fink_sn_candidates_ztf', '__consumer_offsets', 'ftransfer_ztf_2026-03-23_1', 'ftransfer_ztf_2026-03-23_1_schema',
    'fxmatch_ztf_gaia', 'ftest_alice', '_schemas', 'fink_ztf_stats'
  ]), {
    livestream: ['fink_sn_candidates_ztf', 'fink_ztf_stats', 'ftest_alice'],
    datatransfer: ['ftransfer_ztf_2026-03-23_1'],
    xmatch: ['fxmatch_ztf_gaia']
  })
})

test('GET /topics lists real topics in their groups', async (t) => {
  const app = await buildApp(t)
  const live = await createTopic(t, 'ftest_topics')
  const transfer = await createTopic(t, 'ftransfer_topics')
  const companion = await createTopic(t, `${transfer}_schema`, 1, true)
  await produce(transfer, numbered('x', 1))
  const res = await app.inject({ method: 'GET', url: '/topics' })
  assert.equal(res.statusCode, 200)
  const body = res.json() as { livestream: string[], datatransfer: string[], xmatch: string[] }
  assert.ok(body.livestream.includes(live))
  assert.ok(body.datatransfer.includes(transfer))
  assert.ok(!body.livestream.includes(companion) && !body.datatransfer.includes(companion))
  assert.ok(!body.livestream.some((name) => name.startsWith('__')), 'internal topics are hidden')
})

test('GET /topics/{topic}/offsets gives committed, watermarks and lag per partition', async (t) => {
  const app = await buildApp(t)
  const topic = await createTopic(t, 'ftest_offsets', 2)
  await produce(topic, [...numbered('a', 3).map((m) => ({ ...m, partition: 0 })), ...numbered('b', 2).map((m) => ({ ...m, partition: 1 }))])
  const group = uniqueName('group')
  const before = await app.inject({ method: 'GET', url: `/topics/${topic}/offsets?group_id=${group}` })
  assert.equal(before.statusCode, 200, before.body)
  assert.deepEqual(before.json(), {
    topic,
    group_id: group,
    partitions: [
      { partition: 0, committed: null, low: 0, high: 3, lag: 3 },
      { partition: 1, committed: null, low: 0, high: 2, lag: 2 }
    ]
  })
  const consumed = await app.inject({ method: 'GET', url: `/consume?topics=${topic}&group_id=${group}&num_alerts=5&timeout=20` })
  assert.equal(consumed.json().alerts.length, 5)
  let after: { partitions: Array<{ committed: number | null, lag: number }> } = { partitions: [] }
  for (let i = 0; i < 50; i++) {
    after = (await app.inject({ method: 'GET', url: `/topics/${topic}/offsets?group_id=${group}` })).json()
    if (after.partitions.every((p) => p.lag === 0)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.deepEqual(after.partitions.map((p) => [p.committed, p.lag]), [[3, 0], [2, 0]])

  const noGroup = await app.inject({ method: 'GET', url: `/topics/${topic}/offsets` })
  assert.deepEqual(noGroup.json().partitions.map((p: { committed: null, lag: number }) => [p.committed, p.lag]), [[null, 3], [null, 2]])
  const missing = await app.inject({ method: 'GET', url: `/topics/${uniqueName('ftest_missing')}/offsets?group_id=${group}` })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'FG_TOPIC_NOT_FOUND')
  const bad = await app.inject({ method: 'GET', url: `/topics/${topic}/offsets?group_id=fink-gateway-x` })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'FG_BAD_PARAMETER')
})
