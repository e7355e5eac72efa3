/**
 * Baseline: node-rdkafka's consume(n) loop that only counts messages, with the gateway's own
 * consumer settings (src/kafka/consumer-options.ts), so the gap to the gateway is what the
 * gateway adds: decoding, JSON, the transport. With settings=defaults, librdkafka's defaults,
 * to show what the gateway's bounded prefetch costs in raw throughput.
 */
import Kafka from 'node-rdkafka'
import { loadConfig } from '../../src/config.js'
import { consumerOptions } from '../../src/kafka/consumer-options.js'
import { clientOptions, nowMs, report, type DrainFigures } from './common.js'

interface Options {
  brokers: string
  topic: string
  group: string
  alerts: number
  batch: number
  /** gateway: src/kafka/consumer-options.ts; defaults: librdkafka's own (64 MB prefetch…). */
  settings: 'gateway' | 'defaults'
  timeoutMs: number
}

const opts = clientOptions<Options>()
const config = loadConfig({ KAFKA_BROKERS: opts.brokers, LOG_LEVEL: 'silent' })
const settings: Kafka.ConsumerGlobalConfig = opts.settings === 'gateway'
  ? consumerOptions(config, { groupId: opts.group, credentials: null })
  : { 'bootstrap.servers': opts.brokers, 'group.id': opts.group, 'enable.auto.commit': false }
const consumer = new Kafka.KafkaConsumer(settings, { 'auto.offset.reset': 'earliest' })

const figures: DrainFigures & { cpuMs?: number } = { alerts: 0, firstBatch: 0, startMs: nowMs(), firstMs: 0, lastMs: 0, bytes: 0 }
const cpuAtStart = process.cpuUsage()
const deadline = Date.now() + opts.timeoutMs

await new Promise<void>((resolve, reject) => {
  consumer.connect({ timeout: 10000 }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
})
consumer.subscribe([opts.topic])

const consumeBatch = (): Promise<Kafka.Message[]> => new Promise((resolve, reject) => {
  consumer.consume(opts.batch, (err, messages) => { if (err !== null && err !== undefined) reject(err); else resolve(messages) })
})

while (figures.alerts < opts.alerts && Date.now() < deadline) {
  const messages = await consumeBatch()
  if (messages.length === 0) continue
  const at = nowMs()
  if (figures.alerts === 0) {
    figures.firstMs = at
    figures.firstBatch = messages.length
  }
  figures.alerts += messages.length
  for (const m of messages) figures.bytes = (figures.bytes ?? 0) + (m.value?.length ?? 0)
  figures.lastMs = at
}

// all threads of the process: JavaScript and librdkafka's
const cpu = process.cpuUsage(cpuAtStart)
figures.cpuMs = (cpu.user + cpu.system) / 1000
await new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, 5000)
  consumer.disconnect(() => { clearTimeout(timer); resolve() })
})
report(figures)
process.exit(0)
