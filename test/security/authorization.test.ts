/**
 * End to end, AUTH_MODE=kafka against the local SASL listener: Kafka's ACLs decide what each
 * user reads, and a session belongs to its principal. alice may use topics and groups starting
 * with `alice.`, bob `bob.`, both may read `ftest_*` topics with their own groups.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildApp, uniqueName } from '../helpers/app.js'
import { basic, createTopicAsAdmin, deleteTopicAsAdmin, kafkaAuthEnv, produceAsAdmin, saslSkipReason } from './sasl.js'

const skip = await saslSkipReason()

async function until (what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Consumed { status: number, code?: string, offsets: number[] }

async function consume (app: FastifyInstance, user: string, topic: string, groupId: string, numAlerts: number, password?: string, timeout = 5): Promise<Consumed> {
  const res = await app.inject({
    url: `/consume?topics=${topic}&group_id=${groupId}&num_alerts=${numAlerts}&timeout=${timeout}`,
    headers: { authorization: basic(user, password) }
  })
  if (res.statusCode !== 200) return { status: res.statusCode, code: res.json().code, offsets: [] }
  return { status: 200, offsets: (res.json() as { alerts: Array<{ offset: number }> }).alerts.map((a) => a.offset) }
}

async function sharedTopic (t: { after: (fn: () => Promise<void>) => void }, prefix: string, values: number): Promise<string> {
  const topic = uniqueName(prefix)
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))
  await produceAsAdmin(topic, Array.from({ length: values }, (_, i) => `value ${i}`))
  return topic
}

test('each user reads what the ACLs give them: own prefix and ftest_ topics', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const own = await sharedTopic(t, 'alice.sec', 2)
  const shared = await sharedTopic(t, 'ftest_sec', 2)
  assert.deepEqual(await consume(app, 'alice', own, uniqueName('alice.g'), 2), { status: 200, offsets: [0, 1] })
  assert.deepEqual(await consume(app, 'bob', shared, uniqueName('bob.g'), 2), { status: 200, offsets: [0, 1] })
})

test('a topic outside the user\'s ACLs: 403 FG_FORBIDDEN; an unknown topic the user could read: 404', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const bobs = await sharedTopic(t, 'bob.sec', 1)
  assert.deepEqual(await consume(app, 'alice', bobs, uniqueName('alice.g'), 1), { status: 403, code: 'FG_FORBIDDEN', offsets: [] })
  assert.deepEqual(await consume(app, 'alice', uniqueName('alice.missing'), uniqueName('alice.g'), 1), { status: 404, code: 'FG_TOPIC_NOT_FOUND', offsets: [] })
})

test('a group outside the user\'s ACLs: 403 FG_FORBIDDEN, and the refused session is gone', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const shared = await sharedTopic(t, 'ftest_sec', 1)
  assert.deepEqual(await consume(app, 'alice', shared, uniqueName('bob.g'), 1), { status: 403, code: 'FG_FORBIDDEN', offsets: [] })
  assert.deepEqual(await consume(app, 'alice', shared, uniqueName('fink.g'), 1), { status: 403, code: 'FG_FORBIDDEN', offsets: [] })
  // the refused sessions close in the background, bounded by the consumer's disconnect
  await until('the refused sessions closed', () => app.sessions.size === 0)
})

test('bob can neither read from nor commit for alice\'s session and group', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const shared = await sharedTopic(t, 'ftest_sec', 4)
  const group = uniqueName('alice.g')
  assert.deepEqual(await consume(app, 'alice', shared, group, 2), { status: 200, offsets: [0, 1] })
  assert.equal(app.sessions.size, 1, 'alice\'s REST session is kept for her next request')

  // the same group and topics, as bob: not alice's cached session, and Kafka refuses bob the group,
  // checked when the session opens: 403 even with a timeout shorter than a consume round trip
  assert.deepEqual(await consume(app, 'bob', shared, group, 2, undefined, 0.1), { status: 403, code: 'FG_FORBIDDEN', offsets: [] })
  assert.deepEqual(await consume(app, 'bob', shared, group, 2), { status: 403, code: 'FG_FORBIDDEN', offsets: [] })
  // alice with a wrong password does not reach her own session either
  assert.equal((await consume(app, 'alice', shared, group, 2, 'bob-secret')).status, 401)

  // alice goes on exactly where she was: bob read nothing and committed nothing for her group
  assert.deepEqual(await consume(app, 'alice', shared, group, 2), { status: 200, offsets: [2, 3] })
  await until('bob\'s refused session closed', () => app.sessions.size === 1)
  assert.deepEqual(app.sessions.list().map((s) => [s.principal.name, s.groupId]), [['alice', group]])
})

test('a ticket stands for its principal only: bob\'s ticket does not open alice\'s groups', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const issued = await app.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('bob') } })
  assert.equal(issued.statusCode, 200)
  const { ticket } = issued.json() as { ticket: string }
  // REST routes do not take tickets at all
  const res = await app.inject({ url: `/consume?topics=ftest_x&group_id=alice.g&ticket=${ticket}` })
  assert.equal(res.statusCode, 401)
})

test('listings and permalinks follow the same ACLs: alice never sees bob\'s topics', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const bobs = await sharedTopic(t, 'bob.sec', 1)
  const shared = await sharedTopic(t, 'ftest_sec', 1)
  const as = async (user: string, url: string): Promise<{ statusCode: number, json: () => any }> =>
    await app.inject({ url, headers: { authorization: basic(user) } })

  const listed = (body: Record<string, string[]>): string[] => Object.values(body).flat()
  const alices = listed((await as('alice', '/topics')).json())
  assert.ok(alices.includes(shared), 'alice sees the shared topic')
  assert.ok(!alices.some((name) => name.startsWith('bob.')), `alice sees no bob.* topic: ${alices.join(',')}`)
  assert.ok(listed((await as('bob', '/topics')).json()).includes(bobs))

  // Kafka hides both forbidden and missing topics from alice's listing; an OffsetFetch with her
  // credentials tells them apart
  for (const url of [`/alerts/${bobs}/0/0`, `/topics/${bobs}/offsets?group_id=alice.g`]) {
    const res = await as('alice', url)
    assert.equal(res.statusCode, 403, url)
    assert.equal(res.json().code, 'FG_FORBIDDEN')
  }
  const missing = await as('alice', `/alerts/${uniqueName('alice.missing')}/0/0`)
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'FG_TOPIC_NOT_FOUND')
})

test('a short poll with a group the user may not use: 403 whatever the timeout, and no session kept', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const shared = await sharedTopic(t, 'ftest_sec', 1)
  for (const timeout of [0.1, 0.5, 1]) {
    const res = await app.inject({ url: `/poll?topics=${shared}&group_id=${uniqueName('bob.g')}&timeout=${timeout}`, headers: { authorization: basic('alice') } })
    assert.equal(res.statusCode, 403, `timeout=${timeout}`)
    assert.equal(res.json().code, 'FG_FORBIDDEN')
  }
  await until('the refused sessions closed', () => app.sessions.size === 0)
})

test('permalinks of the user\'s own topic: read with the user\'s own look-up group (KAFKA_USER_GROUP_PREFIX)', { skip }, async (t) => {
  const app = await buildApp(t, kafkaAuthEnv())
  const own = await sharedTopic(t, 'alice.sec', 2)
  const shared = await sharedTopic(t, 'ftest_sec', 1)
  for (const [user, url, offset] of [['alice', `/alerts/${own}/0/1`, 1], ['bob', `/alerts/${shared}/0/0`, 0]] as const) {
    const res = await app.inject({ url, headers: { authorization: basic(user) } })
    assert.equal(res.statusCode, 200, `${user} ${url}: ${res.body}`)
    // not Avro: an item with its decoding error, read from Kafka all the same
    assert.deepEqual([res.json().topic, res.json().offset], [url.split('/')[2], offset])
  }
  // the prefix is configurable: a prefix outside alice's ACLs makes Kafka refuse the look-up group
  const elsewhere = await buildApp(t, kafkaAuthEnv({ KAFKA_USER_GROUP_PREFIX: 'team-{user}-' }))
  const refused = await elsewhere.inject({ url: `/alerts/${own}/0/1`, headers: { authorization: basic('alice') } })
  assert.equal(refused.statusCode, 403, refused.body)
})
