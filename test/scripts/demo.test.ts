import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { DEMO_TOPICS, replaySlowly, setUpDemo, startGateway } from '../../scripts/demo.js'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { deleteTopic } from '../kafka/kafka-helpers.js'

test('the demo fills Fink-named topics with the shipped alerts, serves them, and keeps replaying', async (t) => {
  const suffix = `_${uniqueName('demo')}`
  const lines: string[] = []
  const setup = await setUpDemo({ brokers: KAFKA_BROKERS, topicSuffix: suffix, say: (l) => lines.push(l) })
  t.after(async () => { await Promise.all([...setup.topics.keys()].map(deleteTopic)) })
  assert.equal(setup.startedKafka, false, 'given brokers: no Kafka started')
  assert.equal(setup.topics.size, DEMO_TOPICS.length)
  assert.equal(setup.topics.get(`fink_sn_candidates_ztf${suffix}`), 11)
  assert.ok([...setup.topics.values()].every((n) => n > 0))

  const { app } = await startGateway(setup.brokers, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' })
  t.after(() => app.close())
  const port = (app.server.address() as AddressInfo).port
  const topic = `fink_sn_candidates_ztf${suffix}`
  const res = await fetch(`http://127.0.0.1:${port}/consume?topics=${topic}&group_id=${uniqueName('demo')}&num_alerts=2&timeout=20&exclude=cutouts`)
  assert.equal(res.status, 200)
  assert.equal(((await res.json()) as { alerts: unknown[] }).alerts.length, 2)
  const listed = (await (await fetch(`http://127.0.0.1:${port}/topics`)).json()) as { livestream: string[], datatransfer: string[] }
  assert.ok(listed.livestream.includes(topic))
  assert.ok(listed.datatransfer.includes(`ftransfer_ztf_2026-03-23_demo${suffix}`))

  const stop = new AbortController()
  const errors: unknown[] = []
  const replaying = replaySlowly(setup, stop.signal, (err) => errors.push(err))
  const before = await app.kafkaAdmin.watermarks(topic, 0, null, 5000)
  let after = before
  for (let i = 0; i < 60 && after.high === before.high; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    after = await app.kafkaAdmin.watermarks(topic, 0, null, 5000)
  }
  stop.abort()
  await replaying
  assert.deepEqual(errors, [])
  assert.ok(after.high > before.high, 'the slow replay keeps adding alerts')
})
