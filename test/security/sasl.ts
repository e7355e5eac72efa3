/**
 * The local Kafka's SASL listener for security tests (`npm run kafka`: SCRAM-SHA-512 users
 * admin, alice and bob, password `<name>-secret`, ACLs by name prefix). Topics are created and
 * filled as admin through that same listener, so the tests work whatever KAFKA_BROKERS names.
 */
import { connect } from 'node:net'
import Kafka from 'node-rdkafka'

export const SASL_BROKERS = process.env.KAFKA_SASL_BROKERS ?? '127.0.0.1:9093'
const TIMEOUT_MS = 15_000

/** Why SASL tests cannot run here (no listener reachable), or false when they can. */
export async function saslSkipReason (): Promise<string | false> {
  const [host, port] = (SASL_BROKERS.split(',')[0] ?? '').split(':')
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: host ?? '127.0.0.1', port: Number(port ?? 9093), timeout: 2000 })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { socket.destroy(); resolve(false) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
  return reachable ? false : `no SASL listener at ${SASL_BROKERS} (start it with \`npm run kafka -- start\`, or set KAFKA_SASL_BROKERS)`
}

/** Environment for buildApp(): the gateway in AUTH_MODE=kafka against the SASL listener. */
export function kafkaAuthEnv (extra: Record<string, string> = {}): Record<string, string> {
  return { AUTH_MODE: 'kafka', KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_BROKERS: SASL_BROKERS, ...extra }
}

/** An `Authorization: Basic` header value; the password defaults to the local users' `<name>-secret`. */
export function basic (user: string, password = `${user}-secret`): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
}

function adminConfig (): Record<string, string> {
  return {
    'metadata.broker.list': SASL_BROKERS,
    'security.protocol': 'sasl_plaintext',
    'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': 'admin',
    'sasl.password': 'admin-secret',
    'client.id': 'fink-gateway-security-test'
  }
}

function withTimeout<T> (what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function withProducer<T> (use: (producer: Kafka.Producer) => Promise<T>): Promise<T> {
  const producer = new Kafka.Producer({ ...adminConfig(), dr_cb: true })
  await withTimeout('admin producer connect', new Promise<void>((resolve, reject) => {
    producer.connect({ timeout: TIMEOUT_MS }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
  }))
  try {
    return await use(producer)
  } finally {
    await withTimeout('admin producer disconnect', new Promise<void>((resolve) => { producer.disconnect(() => resolve()) })).catch(() => {})
  }
}

/** Creates a topic as admin and waits until its partitions have a leader. */
export async function createTopicAsAdmin (topic: string, partitions = 1): Promise<void> {
  const admin = Kafka.AdminClient.create(adminConfig())
  try {
    await withTimeout(`create ${topic}`, new Promise<void>((resolve, reject) => {
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, TIMEOUT_MS, (err) => {
        if (err !== null && err !== undefined) reject(err)
        else resolve()
      })
    }))
  } finally {
    admin.disconnect()
  }
  await withProducer(async (producer) => {
    const deadline = Date.now() + TIMEOUT_MS
    for (;;) {
      const leaders = await new Promise<number>((resolve) => {
        producer.getMetadata({ topic, timeout: 5000 }, (err, metadata) => {
          const entry = err === null || err === undefined ? metadata.topics.find((t) => t.name === topic) : undefined
          resolve(entry === undefined ? 0 : entry.partitions.filter((p) => p.leader >= 0).length)
        })
      })
      if (leaders === partitions) return
      if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader after ${TIMEOUT_MS} ms`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
}

export async function deleteTopicAsAdmin (topic: string): Promise<void> {
  const admin = Kafka.AdminClient.create(adminConfig())
  try {
    await withTimeout(`delete ${topic}`, new Promise<void>((resolve) => { admin.deleteTopic(topic, TIMEOUT_MS, () => resolve()) }))
  } finally {
    admin.disconnect()
  }
}

/** Produces string values as admin and waits for every delivery report. */
export async function produceAsAdmin (topic: string, values: readonly string[]): Promise<void> {
  await withProducer(async (producer) => {
    const delivered = new Promise<void>((resolve, reject) => {
      let pending = values.length
      producer.on('delivery-report', (err) => {
        if (err !== null && err !== undefined) reject(err)
        else if (--pending === 0) resolve()
      })
    })
    producer.setPollInterval(10)
    for (const value of values) producer.produce(topic, null, Buffer.from(value), null)
    await withTimeout(`produce to ${topic}`, delivered)
  })
}
