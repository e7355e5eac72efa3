import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { GatewayMetrics } from '../../src/metrics.js'
import { ANONYMOUS } from '../../src/auth/principal.js'
import { ClientSession } from '../../src/kafka/session.js'
import { StreamPump, type StreamSink } from '../../src/kafka/stream-pump.js'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { createTopic, numbered, produce } from './kafka-helpers.js'

const config = loadConfig({ KAFKA_BROKERS, WS_MAX_BUFFERED_BYTES: '65536', WS_STALL_SECONDS: '1' })
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

/** An in-memory sink: items are "written" at once unless `held`; bufferedAmount is set by the test. */
class MemorySink implements StreamSink {
  open = true
  bufferedAmount = 0
  readonly items: string[] = []
  readonly statuses: Array<Record<string, unknown>> = []
  sendItem (item: string | Buffer, written: (err?: Error | null) => void): number {
    const itemJson = item.toString()
    this.items.push(itemJson)
    setImmediate(() => { written(null) })
    return itemJson.length
  }

  startedAfterItems: number | null = null
  sendStatus (status: Record<string, unknown>): void {
    if (status.state === 'started') this.startedAfterItems = this.items.length
    this.statuses.push(status)
  }
}

async function openSession (t: TestContext, topic: string, groupId: string | null): Promise<ClientSession> {
  const session = new ClientSession({ config, transport: 'ws', principal: ANONYMOUS, groupId, topics: [topic], log, metrics: new GatewayMetrics() })
  t.after(() => session.close())
  await session.open(10000)
  return session
}

function pumpFor (session: ClientSession, sink: StreamSink, ack: 'auto' | 'manual', events: { stalled: number, errors: unknown[] }, metrics = new GatewayMetrics()): StreamPump {
  return new StreamPump({
    session,
    sink,
    items: async (records) => records.map((r) => JSON.stringify({ offset: r.offset, value: r.value?.toString() })),
    config,
    metrics,
    registry: { reportLag: () => {} },
    transport: 'ws',
    ack,
    groupId: session.ephemeral ? null : session.groupId,
    onStalled: () => { events.stalled++ },
    onError: (err) => { events.errors.push(err) }
  })
}

async function until (done: () => boolean, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  assert.ok(done(), 'condition reached in time')
}

test('items go to the sink in order, with a started status; ack=auto commits what was written', async (t) => {
  const topic = await createTopic(t, 'ftest_pump')
  await produce(topic, numbered('i', 4))
  const groupId = uniqueName('group')
  const session = await openSession(t, topic, groupId)
  const sink = new MemorySink()
  const events = { stalled: 0, errors: [] as unknown[] }
  const pump = pumpFor(session, sink, 'auto', events)
  const running = pump.start()
  await until(() => pump.stats.sent === 4)
  pump.stop()
  await running
  assert.deepEqual(sink.items.map((i) => JSON.parse(i).value), ['i-0', 'i-1', 'i-2', 'i-3'])
  assert.deepEqual(sink.statuses[0], { state: 'started', group_id: groupId, ack: 'auto', partitions: [{ topic, partition: 0 }] })
  assert.equal(sink.startedAfterItems, 0, 'the started status comes before the first item')
  await session.close()
  assert.ok(session.stats.commits >= 1)
  await produce(topic, numbered('j', 1))
  const next = await openSession(t, topic, groupId)
  const records = await next.pull(5, Date.now() + 5000)
  assert.deepEqual(records.map((r) => r.value?.toString()), ['j-0'], 'the group resumes after what was written')
  assert.deepEqual(events, { stalled: 0, errors: [] })
})

test('above the buffer bound nothing is pulled; a sink that stays there is reported stalled', async (t) => {
  const topic = await createTopic(t, 'ftest_pump')
  await produce(topic, numbered('s', 3))
  const session = await openSession(t, topic, uniqueName('group'))
  const sink = new MemorySink()
  sink.bufferedAmount = 65536 + 1
  const metrics = new GatewayMetrics()
  const events = { stalled: 0, errors: [] as unknown[] }
  const pump = pumpFor(session, sink, 'manual', events, metrics)
  await pump.start()
  assert.equal(events.stalled, 1)
  assert.equal(sink.items.length, 0, 'nothing was pulled for a full sink')
  assert.equal(pump.stats.pauses, 1)
  assert.equal((await metrics.backpressurePausesTotal.get()).values[0]?.value, 1)
  assert.equal((await metrics.slowClientClosesTotal.get()).values[0]?.value, 1)
})

test('ack=manual: written items are not committed until acknowledged', async (t) => {
  const topic = await createTopic(t, 'ftest_pump')
  await produce(topic, numbered('m', 2))
  const groupId = uniqueName('group')
  const session = await openSession(t, topic, groupId)
  const sink = new MemorySink()
  const events = { stalled: 0, errors: [] as unknown[] }
  const pump = pumpFor(session, sink, 'manual', events)
  const running = pump.start()
  await until(() => pump.stats.sent === 2)
  pump.stop()
  await running
  await session.close()
  const again = await openSession(t, topic, groupId)
  const records = await again.pull(2, Date.now() + 10000)
  assert.deepEqual(records.map((r) => r.value?.toString()), ['m-0', 'm-1'])
})
