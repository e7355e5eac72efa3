/**
 * Rebalance: two WebSocket clients share a consumer group on a 2-partition topic while alerts
 * arrive; one leaves. Both join without `start` (the group's committed offsets decide: a session
 * with an explicit start applies it to a partition the first time it gets it, even from a
 * rebalance, by design). The one that leaves has its partitions moved to the other:
 * what it was sent before revocation was committed on revocation (no commit error) and never
 * comes again, and nothing is lost.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { uniqueName } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { RateProducer, Received, WsReader, loadAlerts, metric, reportFigures, spawnGateway, topicOffsets, waitFor } from '../helpers/faults.js'

const RATE = 40

test('rebalance: one of two clients of a group leaves; nothing delivered twice after revocation, commits succeed', { timeout: 150000 }, async (t) => {
  const topic = await createTopic(t, 'ftest_rebalance', 2)
  const gw = await spawnGateway(t)
  const group = uniqueName('rebalance')
  const producer = new RateProducer(topic, await loadAlerts(), 2)
  t.after(async () => { await producer.stop().catch(() => {}) })

  const a = new Received()
  const b = new Received()
  const readerA = new WsReader({ port: gw.port, query: `topics=${topic}&group_id=${group}`, received: a })
  await readerA.opened()
  const readerB = new WsReader({ port: gw.port, query: `topics=${topic}&group_id=${group}`, received: b })
  await readerB.opened()
  await producer.start(RATE)
  // both get a share once the group has settled (A alone first, then a rebalance for B)
  await waitFor('both clients to receive alerts', () => a.total > 20 && b.total > 20, 60000)
  await sleep(3000)
  const bBefore = b.total
  const leftAt = Date.now()
  await readerA.close()
  await waitFor('B to take over A\'s partition', async () => b.total > bBefore + RATE * 3, 60000)
  await sleep(2000)
  const produced = await producer.stop()
  const partitions = await topicOffsets(gw.port, topic, group)
  await waitFor('B to drain the topic', () => b.missing(topic, partitions).filter((k) => {
    const [p, o] = k.split('/').map(Number) as [number, number]
    return !a.has(topic, p, o)
  }).length === 0, 60000)

  // A's offsets: every one of them was sent to A before it left; none may reach B afterwards
  const again = [...a.counts.keys()].filter((k) => b.counts.has(k) && (b.firstAt.get(k) ?? 0) >= leftAt)
  const union = new Received()
  for (const r of [a, b]) for (const k of r.counts.keys()) { const [tp, p, o] = k.split('/') as [string, string, string]; union.add({ topic: tp, partition: Number(p), offset: Number(o) }) }
  const missing = union.missing(topic, partitions)
  const commitErrors = await metric(gw.port, 'fink_gateway_commit_errors_total')
  await readerB.close()
  await sleep(1500)
  const committed = await topicOffsets(gw.port, topic, group)

  reportFigures('rebalance', {
    rate: RATE,
    produced: produced.delivered,
    receivedByA: a.total,
    receivedByB: b.total,
    deliveredAgainAfterRevocation: again.length,
    duplicatesWithinB: b.duplicates().length,
    missing: missing.length,
    commitErrors,
    committedAtEnd: committed.map((p) => ({ partition: p.partition, committed: p.committed, high: p.high }))
  })
  assert.equal(missing.length, 0, `lost: ${missing.slice(0, 10).join(', ')}`)
  assert.equal(again.length, 0, `delivered to A, then again to B after A left: ${again.slice(0, 10).join(', ')}`)
  assert.equal(commitErrors, 0)
  for (const p of committed) assert.equal(p.committed, p.high, `partition ${p.partition}: everything delivered is committed`)
})
