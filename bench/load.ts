/**
 * The bench's data: the ZTF alerts the project ships (data/alerts), replayed in Fink's wire
 * format (schemaless Avro body, the writer schema as JSON text in the key) into a fresh
 * topic, round-robin over its partitions, as many times as needed to reach the count asked.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Kafka from 'node-rdkafka'
import { readAvroFile } from '../src/avro/index.js'
import { ROOT_DIR } from './child.js'

export interface AlertRecord { key: Buffer, value: Buffer }

export interface AlertSource {
  dir: string
  files: string[]
  records: AlertRecord[]
  meanValueBytes: number
  meanKeyBytes: number
}

/** Where the alerts come from: the shipped copies, else the shared originals beside the clone. */
export function alertsDir (): string {
  const candidates = [join(ROOT_DIR, 'data', 'alerts'), join(ROOT_DIR, '..', 'shared', 'fink-alerts', 'ztf'), '/work/shared/fink-alerts/ztf']
  for (const dir of candidates) {
    if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.avro'))) return dir
  }
  throw new Error(`no Avro alert files in ${candidates.join(' or ')}`)
}

const NOT_ZTF = /lsst|elasticc/i

export async function loadAlertSource (): Promise<AlertSource> {
  const dir = alertsDir()
  const files = readdirSync(dir).filter((f) => /\.avro(\.gz)?$/.test(f) && !NOT_ZTF.test(f)).sort()
  const records: AlertRecord[] = []
  for (const file of files) {
    const avro = await readAvroFile(join(dir, file))
    const key = Buffer.from(avro.schemaText, 'utf8')
    for (const value of avro.records) records.push({ key, value })
  }
  if (records.length === 0) throw new Error(`no ZTF alerts in ${dir}`)
  const mean = (sizes: number[]): number => sizes.reduce((s, n) => s + n, 0) / sizes.length
  return {
    dir,
    files,
    records,
    meanValueBytes: mean(records.map((r) => r.value.length)),
    meanKeyBytes: mean(records.map((r) => r.key.length))
  }
}

export interface Producer {
  send: (record: AlertRecord, partition: number) => Promise<void>
  close: () => Promise<{ delivered: number, failed: number }>
}

/** A producer to one topic; `send` waits while librdkafka's local queue is full. */
export async function openProducer (brokers: string, topic: string, lingerMs: number): Promise<Producer> {
  let delivered = 0
  let failed = 0
  const producer = new Kafka.Producer({
    'bootstrap.servers': brokers,
    'client.id': 'fink-gateway-bench',
    dr_cb: true,
    'linger.ms': lingerMs,
    'message.max.bytes': 8 * 1024 * 1024,
    'queue.buffering.max.kbytes': 256 * 1024
  }, { 'request.required.acks': 1 })
  producer.on('delivery-report', (err) => { if (err !== null && err !== undefined) failed++; else delivered++ })
  await new Promise<void>((resolve, reject) => {
    producer.connect({ timeout: 15000 }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
  })
  producer.setPollInterval(25)
  return {
    async send (record, partition) {
      for (;;) {
        try {
          producer.produce(topic, partition, record.value, record.key)
          return
        } catch (err) {
          // the local queue is full: let deliveries drain, then try again
          if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err
          await sleep(10)
        }
      }
    },
    async close () {
      await new Promise<void>((resolve, reject) => {
        producer.flush(120000, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
      })
      producer.setPollInterval(0)
      await sleep(50)
      producer.poll()
      await new Promise<void>((resolve) => producer.disconnect(5000, () => resolve()))
      return { delivered, failed }
    }
  }
}

/** Writes `count` alerts, cycling through the source, round-robin over the partitions. */
export async function fillTopic (brokers: string, topic: string, source: AlertSource, count: number, partitions: number): Promise<{ delivered: number, failed: number, seconds: number }> {
  const began = Date.now()
  const producer = await openProducer(brokers, topic, 20)
  for (let i = 0; i < count; i++) {
    await producer.send(source.records[i % source.records.length] as AlertRecord, i % partitions)
  }
  const result = await producer.close()
  return { ...result, seconds: (Date.now() - began) / 1000 }
}

/**
 * Publishes at a steady rate (alerts per second) for durationMs, each message timestamped by
 * the producer when sent (Kafka CreateTime), with no batching delay: what a live stream does.
 */
export async function replayAtRate (brokers: string, topic: string, source: AlertSource, rate: number, durationMs: number, partitions: number): Promise<{ sent: number, delivered: number, failed: number }> {
  const producer = await openProducer(brokers, topic, 0)
  const began = performance.now()
  let sent = 0
  for (;;) {
    const elapsed = performance.now() - began
    if (elapsed >= durationMs) break
    const due = Math.floor((elapsed / 1000) * rate)
    while (sent < due) {
      await producer.send(source.records[sent % source.records.length] as AlertRecord, sent % partitions)
      sent++
    }
    await sleep(2)
  }
  return { sent, ...(await producer.close()) }
}
