/** The machine a result was measured on: without it, a figure means little. */
import { execFileSync } from 'node:child_process'
import { cpus, freemem, loadavg, totalmem, release, platform } from 'node:os'
import Kafka from 'node-rdkafka'
import { createRequire } from 'node:module'

export interface MachineDescription {
  cpus: number
  cpu_model: string
  memory_gb: number
  memory_free_gb: number
  load_average_at_start: number[]
  os: string
  node: string
  node_rdkafka: string
  librdkafka: string
  kafka: string | null
  kafka_brokers: string
  kcat: string | null
  python: string | null
  note: string
}

function version (command: string, args: string[], whole = false): string | null {
  try {
    const text = execFileSync(command, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
    return whole ? text : (text.split('\n')[0] ?? null)
  } catch {
    return null
  }
}

export function describeMachine (opts: { kafka: string | null, brokers: string, python: string | null }): MachineDescription {
  const require = createRequire(import.meta.url)
  const rdkafkaPackage = require('node-rdkafka/package.json') as { version: string }
  const kcatText = version('kcat', ['-V'], true)
  const kcatMatch = kcatText === null ? null : /Version ([\w.-]+).*?librdkafka ([\w.-]+)/s.exec(kcatText)
  const kcat = kcatMatch === null ? kcatText : `${kcatMatch[1] ?? '?'} (librdkafka ${kcatMatch[2] ?? '?'})`
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(totalmem() / 1024 ** 3 * 10) / 10,
    memory_free_gb: Math.round(freemem() / 1024 ** 3 * 10) / 10,
    load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
    os: `${platform()} ${release()}`,
    node: process.version,
    node_rdkafka: rdkafkaPackage.version,
    librdkafka: Kafka.librdkafkaVersion,
    kafka: opts.kafka,
    kafka_brokers: opts.brokers,
    kcat,
    python: opts.python,
    note: 'Kafka, the gateway and every client share this machine; other work on it shows in the load average.'
  }
}
