/**
 * The Kafka the bench runs against: KAFKA_BROKERS when set, else the project's local Kafka
 * (scripts/kafka.ts), started here and stopped afterwards. Topics are created fresh per run
 * and deleted at the end.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import Kafka from 'node-rdkafka'
import { LOCAL_PLAINTEXT, startKafka, stopKafka } from '../scripts/kafka.js'

const run = promisify(execFile)

export interface KafkaEnvironment {
  brokers: string
  started: boolean
  stop: () => Promise<void>
}

export async function kafkaEnvironment (): Promise<KafkaEnvironment> {
  const given = process.env.KAFKA_BROKERS
  if (given !== undefined && given !== '') return { brokers: given, started: false, stop: async () => {} }
  const { started } = await startKafka()
  return { brokers: LOCAL_PLAINTEXT, started, stop: started ? stopKafka : async () => {} }
}

function admin (brokers: string): Kafka.IAdminClient {
  return Kafka.AdminClient.create({ 'bootstrap.servers': brokers, 'client.id': 'fink-gateway-bench' })
}

export async function createTopic (brokers: string, topic: string, partitions: number): Promise<void> {
  const client = admin(brokers)
  try {
    await new Promise<void>((resolve, reject) => {
      client.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 30000, (err) => {
        if (err !== null && err !== undefined) reject(err); else resolve()
      })
    })
  } finally {
    client.disconnect()
  }
}

export async function deleteTopic (brokers: string, topic: string): Promise<void> {
  const client = admin(brokers)
  try {
    await new Promise<void>((resolve) => {
      client.deleteTopic(topic, 30000, () => resolve())
    })
  } finally {
    client.disconnect()
  }
}

/**
 * Kafka's version, best effort: the version in the jar names on the classpath of the Java
 * process listening on the first broker's port (this machine only). null when unknown.
 */
export async function kafkaVersion (brokers: string): Promise<string | null> {
  const port = brokers.split(',')[0]?.split(':').pop()
  if (port === undefined) return null
  try {
    const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`], { timeout: 5000 })
    const pid = /pid=(\d+)/.exec(stdout)?.[1]
    if (pid === undefined) return null
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const classPath = args[args.indexOf('-cp') + 1] ?? args[args.indexOf('-classpath') + 1]
    if (classPath === undefined) return null
    for (const entry of classPath.split(':')) {
      const dir = entry.endsWith('/*') ? entry.slice(0, -2) : null
      const names = dir !== null ? readdirSync(dir) : [entry.split('/').pop() ?? '']
      for (const name of names) {
        const match = /^kafka-clients-(\d[\w.-]*)\.jar$/.exec(name) ?? /^kafka_[\d.]+-(\d[\w.-]*)\.jar$/.exec(name)
        if (match?.[1] !== undefined) return match[1]
      }
    }
  } catch {
    return null
  }
  return null
}
