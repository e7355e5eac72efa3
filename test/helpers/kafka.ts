/**
 * Kafka helpers for tests: topics, producing, and client options for the local SASL listener.
 * Brokers come from process.env.KAFKA_BROKERS (scripts/test.ts sets it); every client made here
 * is disconnected before the helper returns, so test processes can exit.
 */
import Kafka, { type LibrdKafkaError, type Metadata } from 'node-rdkafka'

const TIMEOUT_MS = 15_000

export function kafkaBrokers (): string {
  return process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'
}

/** The local SASL_PLAINTEXT listener (scripts/kafka.ts); `npm test` sets KAFKA_SASL_BROKERS. */
export function saslBrokers (): string {
  return process.env.KAFKA_SASL_BROKERS ?? '127.0.0.1:9093'
}

/** True when this test run has the local SASL listener (it is not there when KAFKA_BROKERS names another Kafka). */
export function hasSaslListener (): boolean {
  const sasl = process.env.KAFKA_SASL_BROKERS
  return sasl !== undefined && sasl !== ''
}

/** librdkafka options for one of the local users (admin, alice, bob) on the SASL listener. */
export function saslConfig (user: string, password = `${user}-secret`): Record<string, string> {
  return {
    'metadata.broker.list': saslBrokers(),
    'security.protocol': 'sasl_plaintext',
    'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': user,
    'sasl.password': password
  }
}

function withTimeout<T> (what: string, promise: Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function disconnect (client: { disconnect: (cb?: () => void) => unknown, isConnected: () => boolean }): Promise<void> {
  if (!client.isConnected()) return Promise.resolve()
  // disconnect() can hang after broker trouble (librdkafka#4486): never wait for it forever
  return withTimeout('disconnect', new Promise<void>((resolve) => { client.disconnect(() => resolve()) }), 5000)
    .catch(() => {})
}

async function withProducer<T> (brokers: string, use: (producer: Kafka.Producer) => Promise<T>): Promise<T> {
  const producer = new Kafka.Producer({ 'metadata.broker.list': brokers, 'client.id': 'fink-gateway-test', dr_cb: true })
  await withTimeout('producer connect', new Promise<void>((resolve, reject) => {
    producer.connect({ timeout: TIMEOUT_MS }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
  }))
  try {
    return await use(producer)
  } finally {
    await disconnect(producer)
  }
}

function topicMetadata (producer: Kafka.Producer, topic: string): Promise<Metadata> {
  return new Promise((resolve, reject) => {
    producer.getMetadata({ topic, timeout: 5000 }, (err: LibrdKafkaError, data: Metadata) => {
      if (err !== null && err !== undefined) reject(err)
      else resolve(data)
    })
  })
}

/** Polls metadata until `visible(partitionCount)` holds (partitionCount 0: the topic is absent). */
async function waitForTopic (topic: string, visible: (partitions: number) => boolean): Promise<void> {
  await withProducer(kafkaBrokers(), async (producer) => {
    const deadline = Date.now() + TIMEOUT_MS
    for (;;) {
      const metadata = await topicMetadata(producer, topic).catch(() => undefined)
      const entry = metadata?.topics.find((t) => t.name === topic)
      const partitions = entry === undefined ? 0 : entry.partitions.filter((p) => p.leader >= 0).length
      if (visible(partitions)) return
      if (Date.now() > deadline) throw new Error(`topic ${topic}: metadata not as expected within ${TIMEOUT_MS} ms (${partitions} partitions with a leader)`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
}

async function withAdmin<T> (use: (admin: Kafka.IAdminClient) => Promise<T>): Promise<T> {
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': kafkaBrokers(), 'client.id': 'fink-gateway-test-admin' })
  try {
    return await use(admin)
  } finally {
    admin.disconnect()
  }
}

/** Creates a topic (replication 1) and returns once every partition has a leader. */
export async function createTopic (name: string, partitions = 1): Promise<void> {
  await withAdmin((admin) => new Promise<void>((resolve, reject) => {
    admin.createTopic({ topic: name, num_partitions: partitions, replication_factor: 1 }, TIMEOUT_MS, (err) => {
      if (err !== null && err !== undefined) reject(err)
      else resolve()
    })
  }))
  await waitForTopic(name, (n) => n === partitions)
}

/** Deletes a topic; a topic that does not exist is not an error (cleanup may run twice). */
export async function deleteTopic (name: string): Promise<void> {
  await withAdmin((admin) => new Promise<void>((resolve, reject) => {
    admin.deleteTopic(name, TIMEOUT_MS, (err) => {
      if (err === null || err === undefined || err.code === Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART) resolve()
      else reject(err)
    })
  }))
  await waitForTopic(name, (n) => n === 0)
}

export interface TestMessage {
  key: string | Buffer | null
  value: string | Buffer | null
  partition?: number
}

/** Produces the messages in order and returns once every one is acknowledged by the broker. */
export async function produce (topic: string, messages: readonly TestMessage[]): Promise<void> {
  if (messages.length === 0) return
  await withProducer(kafkaBrokers(), async (producer) => {
    const delivered = new Promise<void>((resolve, reject) => {
      let pending = messages.length
      producer.on('delivery-report', (err) => {
        if (err !== null && err !== undefined) reject(err)
        else if (--pending === 0) resolve()
      })
    })
    producer.setPollInterval(10)
    for (const m of messages) {
      const value = typeof m.value === 'string' ? Buffer.from(m.value) : m.value
      producer.produce(topic, m.partition ?? null, value, m.key)
    }
    await withTimeout(`produce to ${topic}`, delivered)
  })
}
