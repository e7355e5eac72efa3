import fp from 'fastify-plugin'
import { Socket } from 'node:net'
import rdkafka from 'node-rdkafka'
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import type { Config } from '../config.js'
import { connectionOptions } from '../kafka/consumer-options.js'

export interface KafkaHealthState {
  /** True while the last probe reached the cluster. False until the first probe succeeds. */
  readonly ready: boolean
  /** Why the last probe failed, or null. */
  readonly reason: string | null
  /** Epoch milliseconds of the last finished probe, or null before the first one. */
  readonly checkedAt: number | null
  /** How the cluster is probed: a metadata request, or a TCP connect when the gateway has no Kafka identity. */
  readonly method: 'metadata' | 'tcp'
}

declare module 'fastify' {
  interface FastifyInstance {
    kafkaHealth: KafkaHealthState
  }
}

export interface KafkaHealthOptions {
  intervalMs?: number
  timeoutMs?: number
}

const DEFAULT_INTERVAL_MS = 3000
const DEFAULT_TIMEOUT_MS = 2500
const DISCONNECT_BOUND_MS = 3000

function message (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Resolves with the promise's value or rejects after `ms`; the timer never keeps the process alive. */
async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A Kafka metadata request through one long-lived, idle Producer (librdkafka's AdminClient has
 * no metadata call in node-rdkafka). A Producer whose connect failed is dropped, never reused:
 * node-rdkafka leaves it half-connecting. Disconnect is bounded (librdkafka#4486) and done once.
 */
class MetadataProbe {
  private producer: rdkafka.Producer | null = null
  private closed = false

  constructor (private readonly config: Config, private readonly timeoutMs: number, private readonly log: FastifyBaseLogger) {}

  async check (): Promise<void> {
    if (this.closed) throw new Error('probe closed')
    if (this.producer === null) {
      const producer = new rdkafka.Producer({ ...connectionOptions(this.config, null), 'client.id': 'fink-gateway-health' }, {})
      producer.on('event.error', (err) => { this.log.debug({ err }, 'kafka health probe client error') })
      try {
        await bounded(new Promise<void>((resolve, reject) => {
          producer.connect({ allTopics: false, timeout: this.timeoutMs }, (err) => { if (err) reject(err); else resolve() })
        }), this.timeoutMs + 1000, 'connect')
      } catch (err) {
        this.disconnect(producer).catch(() => {})
        throw err
      }
      if (this.closed) {
        await this.disconnect(producer)
        throw new Error('probe closed')
      }
      this.producer = producer
      return
    }
    const producer = this.producer
    await bounded(new Promise<void>((resolve, reject) => {
      producer.getMetadata({ allTopics: false, timeout: this.timeoutMs }, (err) => { if (err) reject(err); else resolve() })
    }), this.timeoutMs + 1000, 'metadata request')
  }

  private async disconnect (producer: rdkafka.Producer): Promise<void> {
    if (!producer.isConnected()) return
    await bounded(new Promise<void>((resolve) => { producer.disconnect(() => resolve()) }), DISCONNECT_BOUND_MS, 'disconnect')
      .catch((err: unknown) => { this.log.warn({ err }, 'kafka health probe disconnect did not finish') })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const producer = this.producer
    this.producer = null
    if (producer !== null) await this.disconnect(producer)
  }
}

/** Reachable when any bootstrap broker accepts a TCP connection: used when the gateway has no Kafka credentials. */
class TcpProbe {
  constructor (private readonly brokers: string[], private readonly timeoutMs: number) {}

  async check (): Promise<void> {
    const errors: string[] = []
    for (const broker of this.brokers) {
      try {
        await this.connect(broker)
        return
      } catch (err) {
        errors.push(`${broker}: ${message(err)}`)
      }
    }
    throw new Error(errors.join('; '))
  }

  private async connect (broker: string): Promise<void> {
    const colon = broker.lastIndexOf(':')
    const host = broker.slice(0, colon).replace(/^\[|\]$/g, '')
    const port = Number(broker.slice(colon + 1))
    await new Promise<void>((resolve, reject) => {
      const socket = new Socket()
      socket.setTimeout(this.timeoutMs, () => { socket.destroy(); reject(new Error('connect timed out')) })
      socket.once('error', (err) => { socket.destroy(); reject(err) })
      socket.connect(port, host, () => { socket.end(); socket.destroy(); resolve() })
    })
  }

  async close (): Promise<void> {}
}

/** Bootstrap brokers as host:port, with scheme prefixes (SASL_PLAINTEXT://) removed. */
export function parseBrokers (list: string): string[] {
  return list.split(',').map((b) => b.trim().replace(/^[a-z_]+:\/\//i, '')).filter((b) => /:\d+$/.test(b))
}

/**
 * Decorates `fastify.kafkaHealth`, kept current by a probe every few seconds (never two at
 * once, each bounded): readiness turns 503 within one interval plus one timeout of Kafka
 * becoming unreachable, and back to 200 at the first probe that succeeds. Stopped in onClose.
 */
const kafkaHealth: FastifyPluginAsync<KafkaHealthOptions> = async (fastify, opts) => {
  const config = fastify.config
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const log = fastify.log.child({ component: 'kafka-health' })
  const hasIdentity = config.KAFKA_SECURITY_PROTOCOL === 'plaintext' ||
    (config.KAFKA_USERNAME !== undefined && config.KAFKA_PASSWORD !== undefined)
  const method = hasIdentity ? 'metadata' : 'tcp'
  const probe = hasIdentity
    ? new MetadataProbe(config, timeoutMs, log)
    : new TcpProbe(parseBrokers(config.KAFKA_BROKERS), timeoutMs)

  const state: { ready: boolean, reason: string | null, checkedAt: number | null } = { ready: false, reason: 'not checked yet', checkedAt: null }
  fastify.decorate('kafkaHealth', { getter: (): KafkaHealthState => ({ ...state, method }) })

  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const runOnce = async (): Promise<void> => {
    try {
      await probe.check()
      if (!state.ready) log.info({ method }, 'kafka reachable')
      state.ready = true
      state.reason = null
    } catch (err) {
      if (stopped) return
      if (state.ready || state.checkedAt === null) log.warn({ err: { message: message(err) }, method }, 'kafka unreachable')
      state.ready = false
      state.reason = message(err)
    }
    state.checkedAt = Date.now()
  }

  const loop = (): void => {
    if (stopped) return
    running = runOnce().finally(() => {
      if (stopped) return
      timer = setTimeout(loop, intervalMs)
      timer.unref()
    })
  }

  fastify.addHook('onReady', async () => { loop() })
  fastify.addHook('onClose', async () => {
    stopped = true
    clearTimeout(timer)
    await running?.catch(() => {})
    await probe.close()
  })
}

export default fp(kafkaHealth, { name: 'kafka-health', fastify: '5.x' })
