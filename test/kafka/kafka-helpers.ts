/**
 * Test helpers for real Kafka: create and delete uniquely named topics, produce messages.
 * (Alerts in Fink's wire format are produced with src/avro's readers in the route tests.)
 */
import rdkafka from 'node-rdkafka'
import type { TestContext } from 'node:test'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'

/** A topic named `<prefix>_<unique>` (or exactly `prefix` with exact=true), deleted when the test ends. */
export async function createTopic (t: TestContext | null, prefix: string, partitions = 1, exact = false): Promise<string> {
  const topic = exact ? prefix : uniqueName(prefix)
  const admin = rdkafka.AdminClient.create({ 'bootstrap.servers': KAFKA_BROKERS })
  try {
    await new Promise<void>((resolve, reject) => {
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 10000, (err) => {
        if (err !== null && err !== undefined) reject(err); else resolve()
      })
    })
  } finally {
    admin.disconnect()
  }
  if (t !== null) t.after(async () => { await deleteTopic(topic) })
  return topic
}

export async function deleteTopic (topic: string): Promise<void> {
  const admin = rdkafka.AdminClient.create({ 'bootstrap.servers': KAFKA_BROKERS })
  try {
    await new Promise<void>((resolve) => { admin.deleteTopic(topic, 10000, () => { resolve() }) })
  } finally {
    admin.disconnect()
  }
}

export interface OutMessage { value: Buffer, key?: Buffer | string | null, partition?: number, timestamp?: number }

/** Produces the messages in order and waits until Kafka has acknowledged every one. */
export async function produce (topic: string, messages: readonly OutMessage[]): Promise<void> {
  const producer = new rdkafka.Producer({
    'bootstrap.servers': KAFKA_BROKERS,
    dr_cb: true,
    'linger.ms': 5,
    'message.max.bytes': 8 * 1024 * 1024,
    event_cb: false
  })
  await new Promise<void>((resolve, reject) => {
    producer.connect({}, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
  })
  producer.setPollInterval(20)
  try {
    let pending = messages.length
    let failure: unknown = null
    const done = new Promise<void>((resolve) => {
      if (pending === 0) resolve()
      producer.on('delivery-report', (err) => {
        if (err !== null && err !== undefined) failure = err
        if (--pending === 0) resolve()
      })
    })
    for (const m of messages) {
      const key = typeof m.key === 'string' ? Buffer.from(m.key) : (m.key ?? null)
      producer.produce(topic, m.partition ?? null, m.value, key, m.timestamp ?? Date.now())
    }
    await done
    if (failure !== null) throw new Error('a message was not delivered', { cause: failure })
  } finally {
    producer.setPollInterval(0)
    await new Promise<void>((resolve) => { producer.disconnect(() => { resolve() }) })
  }
}

/** n small distinct messages: value "<prefix>-<i>". */
export function numbered (prefix: string, n: number, from = 0): OutMessage[] {
  return Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${prefix}-${from + i}`) }))
}

/**
 * A fresh topic holding the alerts of these shared Fink files (replayed in Fink's wire format,
 * key = schema), in file order on one partition unless told otherwise.
 */
export async function topicWithAlerts (t: TestContext | null, prefix: string, paths: string[], opts: { partitions?: number, key?: 'schema' | 'version' | 'none' } = {}): Promise<{ topic: string, count: number }> {
  const topic = await createTopic(t, prefix, opts.partitions ?? 1)
  const { replayFiles } = await import('../../scripts/replay.js')
  const result = await replayFiles({ paths, topic, brokers: KAFKA_BROKERS, key: opts.key ?? 'schema', partitions: opts.partitions ?? 1 })
  return { topic, count: result.delivered }
}
