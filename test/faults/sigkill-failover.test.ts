/**
 * A gateway killed with SIGKILL mid-stream; its clients (one WebSocket stream, one REST
 * /consume loop, each its own group) carry on at a second gateway instance with the same
 * group_id. State lives in Kafka: nothing is lost, and an alert comes twice only if it was
 * delivered within the last commit interval before the kill (WebSocket ack=auto commits once
 * a second; REST commits after each response) — the uncommitted window, reported as counts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { uniqueName } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { RateProducer, Received, RestReader, WsReader, loadAlerts, reportFigures, spawnGateway, topicOffsets, waitFor } from '../helpers/faults.js'

const RATE = 40
/** Commit interval (1 s) plus a commit's round trip and the test's own scheduling. */
const UNCOMMITTED_WINDOW_MS = 2500

test('SIGKILL mid-stream, a second instance takes the same groups: nothing lost, duplicates only within the uncommitted window', { timeout: 240000 }, async (t) => {
  const topic = await createTopic(t, 'ftest_sigkill', 2)
  const first = await spawnGateway(t)
  const second = await spawnGateway(t)
  const producer = new RateProducer(topic, await loadAlerts(), 2)
  t.after(async () => { await producer.stop().catch(() => {}) })
  await producer.start(RATE)

  const wsGroup = uniqueName('sigkill_ws')
  const restGroup = uniqueName('sigkill_rest')
  const ws = new Received()
  const rest = new Received()
  const restQuery = `topics=${topic}&group_id=${restGroup}&num_alerts=10&timeout=1`
  const ws1 = new WsReader({ port: first.port, query: `topics=${topic}&group_id=${wsGroup}`, received: ws })
  await ws1.opened()
  const rest1 = new RestReader(first.port, restQuery, rest)
  await waitFor('both clients to receive', () => ws.total > 50 && rest.total > 50, 60000)
  await sleep(5000)

  const killedAt = Date.now()
  first.child.kill('SIGKILL')
  await first.exited
  const wsClose = await ws1.closed
  await rest1.stop()

  // the clients come back at the other instance, same group, no start: the committed offsets
  const ws2 = new WsReader({ port: second.port, query: `topics=${topic}&group_id=${wsGroup}`, received: ws })
  await ws2.opened()
  const rest2 = new RestReader(second.port, restQuery, rest)
  t.after(async () => { await rest2.stop(); await ws2.close() })
  await waitFor('both to deliver again', () => ws.lastAt > killedAt + 100 && rest.lastAt > killedAt + 100, 90000)
  const resumedMs = { ws: ws.lastAt - killedAt, rest: rest.lastAt - killedAt }
  await sleep(5000)
  const produced = await producer.stop()
  const high = await topicOffsets(second.port, topic)
  await waitFor('both groups to catch up', () => ws.missing(topic, high).length === 0 && rest.missing(topic, high).length === 0, 60000).catch(() => {})

  const figures = (r: Received): { received: number, missing: number, duplicates: number, deliveredInWindowBeforeKill: number, duplicatesOutsideWindow: number } => {
    const dups = r.duplicates()
    const inWindow = (key: string): boolean => (r.firstAt.get(key) ?? 0) >= killedAt - UNCOMMITTED_WINDOW_MS
    return {
      received: r.total,
      missing: r.missing(topic, high).length,
      duplicates: dups.length,
      deliveredInWindowBeforeKill: [...r.firstAt.entries()].filter(([, at]) => at >= killedAt - UNCOMMITTED_WINDOW_MS && at <= killedAt).length,
      duplicatesOutsideWindow: dups.filter((d) => !inWindow(`${d.topic}/${d.partition}/${d.offset}`)).length
    }
  }
  const wsFigures = figures(ws)
  const restFigures = figures(rest)
  reportFigures('sigkill-failover', {
    rate: RATE,
    produced: produced.delivered,
    wsCloseCodeAtKill: wsClose,
    resumedAfterKillMs: resumedMs,
    ws: wsFigures,
    rest: restFigures
  })
  assert.equal(produced.failed, 0)
  for (const [name, f] of [['ws', wsFigures], ['rest', restFigures]] as const) {
    assert.equal(f.missing, 0, `${name}: ${f.missing} alerts lost`)
    assert.equal(f.duplicatesOutsideWindow, 0, `${name}: ${f.duplicatesOutsideWindow} duplicates were delivered before the uncommitted window`)
    assert.ok(f.duplicates <= f.deliveredInWindowBeforeKill, `${name}: ${f.duplicates} duplicates > ${f.deliveredInWindowBeforeKill} delivered in the window`)
  }
})
