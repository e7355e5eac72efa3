import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { GatewayMetrics } from '../../src/metrics.js'
import { ANONYMOUS } from '../../src/auth/principal.js'
import { ClientSession, type ClientSessionOptions, type SessionRecord } from '../../src/kafka/session.js'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { createTopic, numbered, produce } from './kafka-helpers.js'

const config = loadConfig({ KAFKA_BROKERS })
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

function sessionFor (t: import('node:test').TestContext, opts: Partial<ClientSessionOptions> & { topics: string[] }, metrics = new GatewayMetrics()): ClientSession {
  const session = new ClientSession({ config, transport: 'rest', principal: ANONYMOUS, groupId: uniqueName('g'), log, metrics, ...opts })
  t.after(() => session.close())
  return session
}

/** Pulls until `n` records arrived or 15 s passed (a fresh group needs a moment to be assigned). */
async function pullN (session: ClientSession, n: number): Promise<SessionRecord[]> {
  const records: SessionRecord[] = []
  const deadline = Date.now() + 15000
  while (records.length < n && Date.now() < deadline) {
    records.push(...await session.pull(n - records.length, Math.min(deadline, Date.now() + 500)))
  }
  return records
}

const values = (records: readonly SessionRecord[]): string[] => records.map((r) => r.value?.toString() ?? '')

test('a new group reads from the earliest offset, and delivered offsets are committed', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('a', 5))
  const groupId = uniqueName('group')
  const metrics = new GatewayMetrics()
  const first = sessionFor(t, { topics: [topic], groupId }, metrics)
  await first.open(10000)
  const got = await pullN(first, 3)
  assert.deepEqual(values(got), ['a-0', 'a-1', 'a-2'])
  first.delivered(got)
  await first.close()
  assert.ok(first.stats.commits >= 1, 'the close waited for the commit')

  const second = sessionFor(t, { topics: [topic], groupId }, metrics)
  await second.open(10000)
  assert.deepEqual(values(await pullN(second, 2)), ['a-3', 'a-4'], 'the same group resumes after what was delivered')
  assert.equal((await metrics.sessionsOpen.get()).values.find((v) => v.labels.transport === 'rest')?.value, 1)
})

test('records handed back with redeliver() come again, in order', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('r', 4))
  const session = sessionFor(t, { topics: [topic] })
  await session.open(10000)
  const got = await pullN(session, 2)
  assert.deepEqual(values(got), ['r-0', 'r-1'])
  await session.redeliver(got)
  const again = await pullN(session, 4)
  assert.deepEqual(values(again), ['r-0', 'r-1', 'r-2', 'r-3'])
})

test('start=latest skips what is already there; start=earliest rewinds a group with commits', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('old', 3))
  const groupId = uniqueName('group')
  const latest = sessionFor(t, { topics: [topic], groupId, start: { kind: 'latest' } })
  await latest.open(10000)
  await latest.pull(1, Date.now() + 300)
  assert.ok(await latest.whenAssigned(15000), 'partitions were assigned')
  await produce(topic, numbered('new', 2))
  const got = await pullN(latest, 2)
  assert.deepEqual(values(got), ['new-0', 'new-1'])
  latest.delivered(got)
  await latest.close()

  const earliest = sessionFor(t, { topics: [topic], groupId, start: { kind: 'earliest' } })
  await earliest.open(10000)
  assert.deepEqual(values(await pullN(earliest, 5)), ['old-0', 'old-1', 'old-2', 'new-0', 'new-1'])
})

test('start by time begins at the first message at or after that time', async (t) => {
  const topic = await createTopic(t, 'ftest_session', 2)
  const t0 = Date.now() - 60000
  await produce(topic, [
    { value: Buffer.from('before'), timestamp: t0, partition: 0 },
    { value: Buffer.from('before'), timestamp: t0, partition: 1 },
    { value: Buffer.from('after-0'), timestamp: t0 + 30000, partition: 0 },
    { value: Buffer.from('after-1'), timestamp: t0 + 30000, partition: 1 }
  ])
  const session = sessionFor(t, { topics: [topic], start: { kind: 'time', ms: t0 + 1000 } })
  await session.open(10000)
  const got = await pullN(session, 2)
  assert.deepEqual(values(got).sort(), ['after-0', 'after-1'])
  assert.deepEqual((await session.pull(1, Date.now() + 300)).length, 0)
})

test('a throw-away session starts at latest and commits nothing', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('x', 2))
  const metrics = new GatewayMetrics()
  const session = sessionFor(t, { topics: [topic], groupId: null, transport: 'ws' }, metrics)
  assert.match(session.groupId, /^fink-gateway-tmp-/)
  await session.open(10000)
  await session.pull(1, Date.now() + 300)
  assert.ok(await session.whenAssigned(15000))
  await produce(topic, numbered('y', 1))
  const got = await pullN(session, 1)
  assert.deepEqual(values(got), ['y-0'])
  session.delivered(got)
  await session.close()
  assert.equal(session.stats.commits, 0)
  assert.equal((await metrics.commitsTotal.get()).values[0]?.value ?? 0, 0)
})

test('acknowledge commits only offsets that were delivered', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('k', 3))
  const groupId = uniqueName('group')
  const session = sessionFor(t, { topics: [topic], groupId, transport: 'ws' })
  await session.open(10000)
  const got = await pullN(session, 3)
  session.delivered(got, 'never')
  assert.equal(session.acknowledge(topic, 0, 10), false, 'an offset never sent is refused')
  assert.equal(session.acknowledge(topic, 0, 0), true)
  await session.close()
  const again = sessionFor(t, { topics: [topic], groupId })
  await again.open(10000)
  assert.deepEqual(values(await pullN(again, 2)), ['k-1', 'k-2'], 'unacknowledged records come again')
})

test('close is idempotent, releases the gauge once, and pull after close returns nothing', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  const metrics = new GatewayMetrics()
  const session = sessionFor(t, { topics: [topic] }, metrics)
  await session.open(10000)
  const pulling = session.pull(10, Date.now() + 2000)
  await Promise.all([session.close(), session.close()])
  assert.deepEqual(await pulling, [])
  assert.deepEqual(await session.pull(1, Date.now() + 100), [])
  assert.equal((await metrics.sessionsOpen.get()).values.find((v) => v.labels.transport === 'rest')?.value, 0)
})

test('an unreachable Kafka fails open() with FG_KAFKA_UNAVAILABLE within the timeout', async (t) => {
  const unreachable = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1' })
  const session = new ClientSession({ config: unreachable, transport: 'rest', principal: ANONYMOUS, groupId: uniqueName('g'), topics: ['ftest_none'], log, metrics: new GatewayMetrics() })
  t.after(() => session.close())
  await assert.rejects(session.open(1500), (err: Error & { code?: string }) => err.code === 'FG_KAFKA_UNAVAILABLE')
  assert.ok(session.closed)
})

test('a start position is committed for the group even when the session delivers nothing', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('old', 3))
  const groupId = uniqueName('group')
  const latest = sessionFor(t, { topics: [topic], groupId, start: { kind: 'latest' } })
  await latest.open(10000)
  assert.deepEqual(await latest.pull(1, Date.now() + 1500), [])
  assert.ok(await latest.whenAssigned(15000))
  const deadline = Date.now() + 10000
  while (latest.stats.commits === 0 && Date.now() < deadline) await latest.pull(1, Date.now() + 200)
  await latest.close()
  assert.equal(latest.stats.commits, 1)
  await produce(topic, numbered('new', 1))
  const resumed = sessionFor(t, { topics: [topic], groupId })
  await resumed.open(10000)
  assert.deepEqual(values(await pullN(resumed, 1)), ['new-0'], 'the next session without start begins at the requested start, not at earliest')
})

test('a session pulled for longer than its limit without an assignment reports itself stuck; an assigned one does not', async (t) => {
  const topic = await createTopic(t, 'ftest_session')
  await produce(topic, numbered('s', 1))
  const groupId = uniqueName('group')
  const assigned = sessionFor(t, { topics: [topic], groupId, unassignedLimitMs: 2000 })
  await assigned.open(10000)
  assert.equal(values(await pullN(assigned, 1)).length, 1)
  // `assigned` is not pulled any more: it never serves the revoke of the rebalance that a second
  // member starts, so the group waits for it (up to max.poll.interval.ms) and never assigns the second.
  const waiting = sessionFor(t, { topics: [topic], groupId, unassignedLimitMs: 2000 })
  await waiting.open(10000)
  assert.equal(waiting.stuckReason(), null, 'not stuck before it was pulled')
  const deadline = Date.now() + 20000
  while (waiting.stuckReason() === null && Date.now() < deadline) await waiting.pull(1, Date.now() + 500)
  assert.match(waiting.stuckReason() ?? '', /no assignment from the group/)
  assert.deepEqual(waiting.assignedPartitions(), [])
  assert.equal(assigned.stuckReason(), null, 'a session with an assignment is not stuck')
  await waiting.close()
  assert.equal(waiting.stuckReason(), null, 'a closed session is not reported')
})
