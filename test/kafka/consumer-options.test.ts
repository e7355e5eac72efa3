import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config.js'
import { connectionOptions, consumerOptions, gatewayGroupId } from '../../src/kafka/consumer-options.js'

test('consumer options: offsets by hand, pulled prefetch bounded, classic protocol, no event callback', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'k1:9092,k2:9092', CONSUMER_QUEUE_KBYTES: '2048', REST_SESSION_IDLE_SECONDS: '600', MAX_TIMEOUT_SECONDS: '60' })
  const options = consumerOptions(config, { groupId: 'g', credentials: null }) as Record<string, unknown>
  assert.equal(options['bootstrap.servers'], 'k1:9092,k2:9092')
  assert.equal(options['group.id'], 'g')
  assert.equal(options['enable.auto.commit'], false)
  assert.equal(options['enable.auto.offset.store'], false)
  assert.equal(options['group.protocol'], 'classic')
  assert.equal(options['queued.max.messages.kbytes'], 2048)
  assert.ok((options['fetch.message.max.bytes'] as number) >= 2 * 1024 * 1024, 'a fetch holds dozens of 80 KB alerts')
  assert.ok((options['fetch.queue.backoff.ms'] as number) <= 50)
  assert.ok((options['max.poll.interval.ms'] as number) > (600 + 60) * 1000, 'idle REST sessions close before Kafka evicts them')
  assert.equal(options.event_cb, false)
  assert.equal(options['sasl.username'], undefined)
})

test('SASL: the gateway identity by default, the user\'s own credentials when given', () => {
  const config = loadConfig({ KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_USERNAME: 'gateway', KAFKA_PASSWORD: 'gw-secret' })
  const own = connectionOptions(config, null) as Record<string, unknown>
  assert.equal(own['security.protocol'], 'sasl_plaintext')
  assert.equal(own['sasl.mechanisms'], 'SCRAM-SHA-512')
  assert.equal(own['sasl.username'], 'gateway')
  const user = connectionOptions(config, { username: 'alice', password: 'alice-secret' }) as Record<string, unknown>
  assert.equal(user['sasl.username'], 'alice')
  assert.equal(user['sasl.password'], 'alice-secret')
})

test('groups the gateway makes for a user: prefixed with KAFKA_USER_GROUP_PREFIX in AUTH_MODE=kafka only', () => {
  const alice = { username: 'alice', password: 'alice-secret' }
  const kafka = loadConfig({ AUTH_MODE: 'kafka', KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext' })
  assert.equal(gatewayGroupId(kafka, alice, 'fink-gateway-tmp-1'), 'alice.fink-gateway-tmp-1')
  const custom = loadConfig({ AUTH_MODE: 'kafka', KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_USER_GROUP_PREFIX: 'users.{user}.{user}-' })
  assert.equal(gatewayGroupId(custom, alice, 'g'), 'users.alice.alice-g')
  assert.equal(gatewayGroupId(loadConfig({}), null, 'fink-gateway-tmp-1'), 'fink-gateway-tmp-1')
  assert.throws(() => loadConfig({ KAFKA_USER_GROUP_PREFIX: 'a b' }), /KAFKA_USER_GROUP_PREFIX/)
})
