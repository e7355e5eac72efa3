import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { GatewayMetrics } from '../../src/metrics.js'
import { ANONYMOUS } from '../../src/auth/principal.js'
import { SessionRegistry } from '../../src/kafka/session-registry.js'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { createTopic } from './kafka-helpers.js'

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

function registryFor (t: import('node:test').TestContext, env: Record<string, string> = {}): { registry: SessionRegistry, metrics: GatewayMetrics } {
  const metrics = new GatewayMetrics()
  const registry = new SessionRegistry(loadConfig({ KAFKA_BROKERS, ...env }), metrics, log)
  t.after(() => registry.closeAll())
  return { registry, metrics }
}

test('a REST session is found again by principal, group and topics in any order; one request at a time', async (t) => {
  const { registry } = registryFor(t)
  const [a, b] = [await createTopic(t, 'ftest_reg'), await createTopic(t, 'ftest_reg')]
  const groupId = uniqueName('group')
  const first = await registry.acquireRest({ principal: ANONYMOUS, groupId, topics: [a, b], timeoutMs: 10000 })
  assert.equal(first.created, true)
  await assert.rejects(registry.acquireRest({ principal: ANONYMOUS, groupId, topics: [b, a], timeoutMs: 10000 }),
    (err: Error & { code?: string }) => err.code === 'FG_SESSION_BUSY')
  first.release()
  first.release()
  const again = await registry.acquireRest({ principal: ANONYMOUS, groupId, topics: [b, a], timeoutMs: 10000 })
  assert.equal(again.created, false)
  assert.equal(again.session, first.session)
  again.release()
  const other = await registry.acquireRest({ principal: { name: 'someone-else', credentials: null }, groupId, topics: [a, b], timeoutMs: 10000 })
  assert.notEqual(other.session, first.session, 'a session belongs to its principal')
  other.release()
  assert.equal(registry.size, 2)
})

test('idle REST sessions close; limits refuse with FG_TOO_MANY_SESSIONS; closeAll closes everything', async (t) => {
  const { registry, metrics } = registryFor(t, { REST_SESSION_IDLE_SECONDS: '1', MAX_SESSIONS: '3', MAX_SESSIONS_PER_PRINCIPAL: '2' })
  const topic = await createTopic(t, 'ftest_reg')
  const open = async (name: string): Promise<void> => {
    const lease = await registry.acquireRest({ principal: { name, credentials: null }, groupId: uniqueName('g'), topics: [topic], timeoutMs: 10000 })
    lease.release()
  }
  await open('alice')
  await open('alice')
  await assert.rejects(open('alice'), (err: Error & { code?: string }) => err.code === 'FG_TOO_MANY_SESSIONS')
  await open('bob')
  await assert.rejects(open('carol'), (err: Error & { code?: string }) => err.code === 'FG_TOO_MANY_SESSIONS')
  assert.equal(registry.size, 3)
  const deadline = Date.now() + 10000
  while (registry.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(registry.size, 0, 'idle sessions were closed')

  const stream = await registry.openStream('ws', { principal: ANONYMOUS, groupId: null, topics: [topic], timeoutMs: 10000 })
  await registry.closeAll()
  assert.ok(stream.closed)
  assert.equal((await metrics.sessionsOpen.get()).values.reduce((sum, v) => sum + v.value, 0), 0)
  await assert.rejects(registry.openStream('ws', { principal: ANONYMOUS, groupId: null, topics: [topic], timeoutMs: 10000 }),
    (err: Error & { code?: string }) => err.code === 'FG_SHUTTING_DOWN')
})

test('a stuck REST session is replaced by a new one on the next request; a healthy one is kept', async (t) => {
  const metrics = new GatewayMetrics()
  const registry = new SessionRegistry(loadConfig({ KAFKA_BROKERS }), metrics, log, { unassignedLimitMs: 2000 })
  t.after(() => registry.closeAll())
  const topic = await createTopic(t, 'ftest_reg')
  const groupId = uniqueName('group')
  const first = await registry.acquireRest({ principal: ANONYMOUS, groupId, topics: [topic], timeoutMs: 10000 })
  assert.ok(await assignedWhilePulling(first.session, 15000), 'the first member was assigned')
  first.release()
  // A second member of the same Kafka group (another principal: another REST session). The first
  // is not pulled meanwhile, so the group's rebalance waits for it and never assigns the second.
  const other = { name: 'someone-else', credentials: null }
  const stuck = await registry.acquireRest({ principal: other, groupId, topics: [topic], timeoutMs: 10000 })
  const deadline = Date.now() + 20000
  while (stuck.session.stuckReason() === null && Date.now() < deadline) await stuck.session.pull(1, Date.now() + 500)
  assert.notEqual(stuck.session.stuckReason(), null, 'the second session is stuck')
  stuck.release()
  const replaced = await registry.acquireRest({ principal: other, groupId, topics: [topic], timeoutMs: 10000 })
  assert.equal(replaced.created, true)
  assert.notEqual(replaced.session, stuck.session)
  assert.equal(stuck.session.closed, true, 'the stuck session was closed')
  assert.equal(replaced.session.stuckReason(), null)
  replaced.release()
  const kept = await registry.acquireRest({ principal: ANONYMOUS, groupId, topics: [topic], timeoutMs: 10000 })
  assert.equal(kept.created, false)
  assert.equal(kept.session, first.session)
  kept.release()
  assert.equal(registry.size, 2)
})

/** Pulls (an empty topic: nothing comes) until the group assigned the session something, or `ms` passed. */
async function assignedWhilePulling (session: import('../../src/kafka/session.js').ClientSession, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (session.assignedPartitions().length === 0 && Date.now() < deadline) await session.pull(1, Date.now() + 300)
  return session.assignedPartitions().length > 0
}
