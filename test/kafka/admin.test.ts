import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { createHash } from 'node:crypto'
import { KafkaAdmin, identityKey } from '../../src/kafka/admin.js'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { hasSaslListener, saslBrokers } from '../helpers/kafka.js'
import { createTopic, numbered, produce } from './kafka-helpers.js'

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

function adminFor (t: import('node:test').TestContext, env: Record<string, string> = {}): KafkaAdmin {
  const admin = new KafkaAdmin(loadConfig({ KAFKA_BROKERS, ...env }), log)
  t.after(() => admin.close())
  return admin
}

test('topics, watermarks, and single messages by offset', async (t) => {
  const admin = adminFor(t)
  const topic = await createTopic(t, 'ftest_admin', 2)
  await produce(topic, numbered('p', 3).map((m) => ({ ...m, partition: 1 })))
  const known = await admin.ensureTopics([topic], null, 5000)
  assert.equal(known.get(topic), 2)
  assert.ok((await admin.listTopics(null, 5000)).some((info) => info.name === topic && info.partitions === 2))
  assert.deepEqual(await admin.watermarks(topic, 1, null, 5000), { low: 0, high: 3 })
  const message = await admin.fetchOne(topic, 1, 2, null, 5000)
  assert.equal(message?.value?.toString(), 'p-2')
  assert.equal(await admin.fetchOne(topic, 1, 3, null, 5000), null, 'at the high watermark: nothing')
  assert.equal(await admin.fetchOne(topic, 0, 0, null, 5000), null, 'an empty partition: nothing')
  assert.equal(await admin.fetchOne(topic, 2, 0, null, 5000), null, 'no such partition: nothing')
  await assert.rejects(admin.ensureTopics([uniqueName('ftest_missing')], null, 5000), (err: Error & { code?: string }) => err.code === 'FG_TOPIC_NOT_FOUND')
})

test('an unreachable cluster is FG_KAFKA_UNAVAILABLE within the timeout', async (t) => {
  const admin = adminFor(t, { KAFKA_BROKERS: '127.0.0.1:1' })
  await assert.rejects(admin.listTopics(null, 1000), (err: Error & { code?: string }) => err.code === 'FG_KAFKA_UNAVAILABLE')
})

test('look-ups with a user\'s SASL credentials see what Kafka\'s ACLs let that user see', async (t) => {
  if (!hasSaslListener()) {
    t.skip('KAFKA_SASL_BROKERS is not set: this run has no local SASL listener')
    return
  }
  const admin = adminFor(t, { KAFKA_BROKERS: saslBrokers(), KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', AUTH_MODE: 'kafka' })
  const readable = await createTopic(t, 'ftest_acl')
  const hidden = await createTopic(t, 'fink_acl_hidden')
  const alice = { username: 'alice', password: 'alice-secret' }
  const names = (await admin.listTopics(alice, 5000)).map((info) => info.name)
  assert.ok(names.includes(readable))
  assert.ok(!names.includes(hidden))
  await assert.rejects(admin.ensureTopics([hidden], alice, 5000), (err: Error & { code?: string }) => err.code === 'FG_TOPIC_NOT_FOUND' || err.code === 'FG_FORBIDDEN')
  await assert.rejects(admin.listTopics({ username: 'alice', password: 'wrong' }, 3000), (err: Error & { code?: string }) => err.code === 'FG_UNAUTHORIZED' || err.code === 'FG_KAFKA_UNAVAILABLE')
})

test('the client cache is keyed by a salted HMAC of the credentials, never a plain hash', () => {
  const alice = { username: 'alice', password: 'alice-secret' }
  const key = identityKey(alice)
  assert.equal(key, identityKey({ ...alice }), 'the same credentials share one client')
  assert.notEqual(key, createHash('sha256').update('alice\u0000alice-secret').digest('hex'))
  assert.notEqual(key, createHash('sha256').update('alice\u0000alice-secret').digest('base64url'))
  assert.doesNotMatch(key, /alice/)
  assert.notEqual(identityKey({ username: 'alice', password: 'other' }), key)
  // the username's length is part of the input: no two splits of one string collide
  assert.notEqual(identityKey({ username: 'a:b', password: 'c' }), identityKey({ username: 'a', password: 'b:c' }))
  assert.equal(identityKey(null), '', 'the gateway\'s own identity')
})
