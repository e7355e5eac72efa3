import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import Kafka, { type LibrdKafkaError, type Message } from 'node-rdkafka'
import { kafkaStatus, LOCAL_SASL } from '../../scripts/kafka.js'
import { uniqueName } from '../helpers/app.js'
import { createTopic, deleteTopic, hasSaslListener, kafkaBrokers, produce, saslConfig } from '../helpers/kafka.js'

const root = join(import.meta.dirname, '..', '..')
const NO_SASL = 'KAFKA_BROKERS names another Kafka and KAFKA_SASL_BROKERS is unset: no local SASL listener to test'

interface CliResult { code: number | null, stdout: string, stderr: string }

function runCli (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/kafka.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

type ReadResult = { message: Message } | { error: LibrdKafkaError }

/** Subscribes with a fresh consumer and returns the first message or the first consume error. */
async function readFirst (t: TestContext, config: Record<string, string>, topic: string, groupId: string): Promise<ReadResult> {
  const consumer = new Kafka.KafkaConsumer(
    { ...config, 'group.id': groupId, 'enable.auto.commit': false, log_level: 0 },
    { 'auto.offset.reset': 'earliest' }
  )
  await new Promise<void>((resolve, reject) => {
    consumer.connect({ timeout: 10_000 }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
  })
  t.after(() => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000)
    consumer.disconnect(() => { clearTimeout(timer); resolve() })
  }))
  consumer.subscribe([topic])
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const result = await new Promise<ReadResult | undefined>((resolve) => {
      consumer.consume(10, (err, messages) => {
        if (err !== null && err !== undefined) resolve({ error: err })
        else resolve(messages[0] === undefined ? undefined : { message: messages[0] })
      })
    })
    if (result !== undefined) return result
  }
  throw new Error(`nothing read from ${topic} within 20 s`)
}

/** Connects with the given options and collects the client errors until connect() gives up. */
async function connectErrors (config: Record<string, string>, timeoutMs: number): Promise<{ connected: boolean, errors: string[] }> {
  const client = new Kafka.KafkaConsumer({ ...config, 'group.id': uniqueName('auth_check'), log_level: 0 }, {})
  const errors: string[] = []
  client.on('event.error', (err) => { errors.push(err.message) })
  const connected = await new Promise<boolean>((resolve) => {
    client.connect({ timeout: timeoutMs }, (err) => { resolve(err === null || err === undefined) })
  })
  if (connected) await new Promise<void>((resolve) => { client.disconnect(() => resolve()) })
  return { connected, errors }
}

async function topicWithOneMessage (t: TestContext, name: string, value: string): Promise<void> {
  await createTopic(name)
  t.after(() => deleteTopic(name))
  await produce(name, [{ key: 'k', value }])
}

describe('npm run kafka: command line', () => {
  for (const args of [[], ['bogus'], ['start', 'extra'], ['--stop']]) {
    test(`"${args.join(' ')}" prints the usage and exits 2`, async () => {
      const result = await runCli(args)
      assert.equal(result.code, 2)
      assert.match(result.stderr, /usage: npm run kafka -- start\|stop\|status/)
      assert.equal(result.stdout, '')
    })
  }

  test('status reports the local Kafka: exit 0 with its pid when running, 3 when not', async () => {
    const status = await kafkaStatus()
    if (process.env.KAFKA_SASL_BROKERS === LOCAL_SASL) assert.equal(status.running, true, 'npm test started the local Kafka')
    const result = await runCli(['status'])
    if (status.running) {
      assert.equal(result.code, 0)
      assert.match(result.stdout, new RegExp(`running \\(pid ${String(status.pid)}\\)`))
    } else {
      assert.equal(result.code, 3)
      assert.match(result.stdout, /not running/)
    }
  })

  test('start with KAFKA_BROKERS set starts nothing', async () => {
    const result = await runCli(['start'], { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' })
    assert.equal(result.code, 0)
    assert.match(result.stdout, /KAFKA_BROKERS is set \(127\.0\.0\.1:1\): nothing started/)
  })
})

describe('local Kafka listeners', () => {
  test('PLAINTEXT reads any topic without authentication', async (t) => {
    const topic = uniqueName('kafka_plain')
    await topicWithOneMessage(t, topic, 'plain hello')
    const result = await readFirst(t, { 'metadata.broker.list': kafkaBrokers() }, topic, uniqueName('kafka_plain_group'))
    assert.ok('message' in result, `expected a message, got ${'error' in result ? result.error.message : ''}`)
    assert.equal(result.message.value?.toString(), 'plain hello')
  })

  test('SASL: alice reads an alice.-prefixed topic with an alice.-prefixed group', async (t) => {
    if (!hasSaslListener()) { t.skip(NO_SASL); return }
    const topic = uniqueName('alice.kafka')
    await topicWithOneMessage(t, topic, 'for alice')
    const result = await readFirst(t, saslConfig('alice'), topic, uniqueName('alice.group'))
    assert.ok('message' in result, `expected a message, got ${'error' in result ? result.error.message : ''}`)
    assert.equal(result.message.value?.toString(), 'for alice')
  })

  test('SASL: bob reads an ftest_-prefixed topic with a bob.-prefixed group', async (t) => {
    if (!hasSaslListener()) { t.skip(NO_SASL); return }
    const topic = uniqueName('ftest_kafka')
    await topicWithOneMessage(t, topic, 'shared')
    const result = await readFirst(t, saslConfig('bob'), topic, uniqueName('bob.group'))
    assert.ok('message' in result, `expected a message, got ${'error' in result ? result.error.message : ''}`)
    assert.equal(result.message.value?.toString(), 'shared')
  })

  test('SASL: alice cannot read bob\'s topic (topic authorization failed)', async (t) => {
    if (!hasSaslListener()) { t.skip(NO_SASL); return }
    const topic = uniqueName('bob.kafka')
    await topicWithOneMessage(t, topic, 'for bob only')
    const result = await readFirst(t, saslConfig('alice'), topic, uniqueName('alice.group'))
    assert.ok('error' in result, 'alice must not read bob\'s topic')
    assert.equal(result.error.code, Kafka.CODES.ERRORS.ERR_TOPIC_AUTHORIZATION_FAILED)
  })

  test('SASL: alice cannot use a group outside alice. (group authorization failed)', async (t) => {
    if (!hasSaslListener()) { t.skip(NO_SASL); return }
    const topic = uniqueName('alice.kafka')
    await topicWithOneMessage(t, topic, 'for alice')
    const result = await readFirst(t, saslConfig('alice'), topic, uniqueName('bob.group'))
    assert.ok('error' in result, 'alice must not join bob\'s group')
    assert.equal(result.error.code, Kafka.CODES.ERRORS.ERR_GROUP_AUTHORIZATION_FAILED)
  })

  test('SASL: a wrong password or an unknown user fails authentication', async (t) => {
    if (!hasSaslListener()) { t.skip(NO_SASL); return }
    const [wrongPassword, unknownUser, admin] = await Promise.all([
      // a failing connect waits for its whole timeout: keep that short
      connectErrors(saslConfig('alice', 'not-alice-secret'), 4000),
      connectErrors(saslConfig('mallory'), 4000),
      connectErrors(saslConfig('admin'), 15_000)
    ])
    // node-rdkafka reports the cause ('authentication failure') only as an event.error, and not
    // reliably before connect() gives up; so the proof is: same listener, same moment, only the
    // right credentials get in
    assert.equal(admin.connected, true, `admin with the right password connects: ${admin.errors.join('; ')}`)
    assert.equal(wrongPassword.connected, false, 'alice with a wrong password must not connect')
    assert.equal(unknownUser.connected, false, 'an unknown user must not connect')
    for (const attempt of [wrongPassword, unknownUser]) {
      assert.ok(attempt.errors.every((m) => /authentication|broker connections are down/i.test(m)), `unexpected errors: ${attempt.errors.join('; ')}`)
    }
  })
})
