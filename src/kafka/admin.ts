/**
 * Kafka look-ups that need no client session: topic listing (and whether a topic exists before
 * a consumer is created for it), watermarks, a group's committed offsets, and fetching one
 * message by (topic, partition, offset) for permalinks.
 *
 * Every look-up takes optional SASL credentials: null is the gateway's own Kafka identity; in
 * AUTH_MODE=kafka the route passes the principal's credentials so Kafka's ACLs decide what the
 * user sees. One long-lived idle Producer per identity serves metadata and watermarks (bounded
 * cache, closed when idle); committed offsets and single-message fetches use a short-lived
 * KafkaConsumer that never joins a group. Every call is bounded by a timeout; a client whose
 * connect failed is dropped, never reused; disconnects are bounded (librdkafka#4486).
 */
import { createHmac, randomBytes } from 'node:crypto'
import rdkafka, { type Message, type Metadata } from 'node-rdkafka'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { connectionOptions, gatewayGroupId, type KafkaCredentials } from './consumer-options.js'
import { KafkaError, kafkaError } from './errors.js'

const DISCONNECT_TIMEOUT_MS = 3000
const TOPICS_CACHE_MS = 2000
const IDLE_CLIENT_MS = 60000
const MAX_CLIENTS = 32

export interface TopicInfo { name: string, partitions: number }

export interface PartitionOffsets {
  partition: number
  /** The group's committed offset (the next to read), or null when it has none. */
  committed: number | null
  low: number
  high: number
  lag: number
}

async function bounded<T> (promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(onTimeout()) }, ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

async function disconnect (client: rdkafka.Producer | rdkafka.KafkaConsumer, log: FastifyBaseLogger): Promise<void> {
  if (!client.isConnected()) return
  await bounded(new Promise<void>((resolve) => { client.disconnect(() => { resolve() }) }), DISCONNECT_TIMEOUT_MS,
    () => new Error('disconnect timed out')).catch((err: unknown) => { log.warn({ err }, 'kafka admin client disconnect did not finish') })
}

interface CachedClient {
  producer: rdkafka.Producer
  lastUsed: number
  topics: { at: number, list: TopicInfo[] } | null
}

/** Per-process random key: the client cache is keyed by HMACs that are useless outside this process. */
const IDENTITY_SALT = randomBytes(32)

export function identityKey (credentials: KafkaCredentials): string {
  if (credentials === null) return ''
  return createHmac('sha256', IDENTITY_SALT)
    .update(`${credentials.username.length}:${credentials.username}:${credentials.password}`)
    .digest('base64url')
}

export class KafkaAdmin {
  private readonly clients = new Map<string, Promise<CachedClient>>()
  private readonly sweeper: NodeJS.Timeout
  private closed = false

  constructor (private readonly config: Config, private readonly log: FastifyBaseLogger) {
    this.sweeper = setInterval(() => { this.sweep() }, IDLE_CLIENT_MS / 2)
    this.sweeper.unref()
  }

  private async client (credentials: KafkaCredentials, timeoutMs: number): Promise<CachedClient> {
    if (this.closed) throw new KafkaError('FG_SHUTTING_DOWN', 'the gateway is shutting down')
    const key = identityKey(credentials)
    let pending = this.clients.get(key)
    if (pending === undefined) {
      if (this.clients.size >= MAX_CLIENTS) this.evictOldest()
      pending = this.connect(credentials, timeoutMs)
      this.clients.set(key, pending)
      pending.catch(() => { if (this.clients.get(key) === pending) this.clients.delete(key) })
    }
    const cached = await pending
    cached.lastUsed = Date.now()
    return cached
  }

  private async connect (credentials: KafkaCredentials, timeoutMs: number): Promise<CachedClient> {
    const producer = new rdkafka.Producer({ ...connectionOptions(this.config, credentials), 'client.id': 'fink-gateway-admin' }, {})
    try {
      await bounded(new Promise<void>((resolve, reject) => {
        producer.connect({ allTopics: false, timeout: timeoutMs }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
      }), timeoutMs + 1000, () => new Error(`no answer from Kafka within ${timeoutMs} ms`))
    } catch (err) {
      disconnect(producer, this.log).catch(() => {})
      throw kafkaError(err, 'Kafka cannot be reached')
    }
    return { producer, lastUsed: Date.now(), topics: null }
  }

  /** Map order is insertion order: the first entry is the longest-held identity. */
  private evictOldest (): void {
    for (const key of this.clients.keys()) {
      if (key !== '') { this.drop(key); return }
    }
  }

  private drop (key: string): void {
    const pending = this.clients.get(key)
    this.clients.delete(key)
    pending?.then(async (c) => { await disconnect(c.producer, this.log) }).catch(() => {})
  }

  private sweep (): void {
    const now = Date.now()
    for (const [key, pending] of this.clients) {
      pending.then((c) => { if (now - c.lastUsed > IDLE_CLIENT_MS && key !== '') this.drop(key) }).catch(() => {})
    }
  }

  /** Drops a client after a failed call, so the next call connects afresh. */
  private forget (credentials: KafkaCredentials): void {
    this.drop(identityKey(credentials))
  }

  /** Every topic this identity can see (internal ones included), cached for two seconds. */
  async listTopics (credentials: KafkaCredentials, timeoutMs: number, fresh = false): Promise<TopicInfo[]> {
    const cached = await this.client(credentials, timeoutMs)
    if (!fresh && cached.topics !== null && Date.now() - cached.topics.at < TOPICS_CACHE_MS) return cached.topics.list
    let metadata: Metadata
    try {
      metadata = await bounded(new Promise<Metadata>((resolve, reject) => {
        cached.producer.getMetadata({ allTopics: true, timeout: timeoutMs }, (err, data) => {
          if (err !== null && err !== undefined) reject(err); else resolve(data)
        })
      }), timeoutMs + 1000, () => new Error(`no metadata from Kafka within ${timeoutMs} ms`))
    } catch (err) {
      this.forget(credentials)
      throw kafkaError(err, 'Kafka cannot be reached')
    }
    const list = metadata.topics
      .filter((t) => t.partitions.length > 0)
      .map((t) => ({ name: t.name, partitions: t.partitions.length }))
      .sort((a, b) => a.name.localeCompare(b.name))
    cached.topics = { at: Date.now(), list }
    return list
  }

  /**
   * Throws FG_TOPIC_NOT_FOUND (or FG_FORBIDDEN when the gateway itself sees a topic that the
   * user's credentials do not) for the first topic that cannot be read. Checked before any
   * consumer is created, so a typo never costs a session.
   *
   * Kafka hides the topics a user may not describe, so with a user's credentials and no identity
   * of its own the gateway cannot tell "not allowed" from "missing" by listing. With
   * `leaveUnseenToConsumer` such a topic passes: the caller's consumer subscribes with the user's
   * group, and Kafka answers TOPIC_AUTHORIZATION_FAILED (403) or UNKNOWN_TOPIC_OR_PART (404) on
   * its first fetch. Without it, an OffsetFetch with the user's credentials tells (403, else 404):
   * this costs a short-lived consumer on that error path only.
   */
  async ensureTopics (topics: readonly string[], credentials: KafkaCredentials, timeoutMs: number,
    opts: { leaveUnseenToConsumer?: boolean } = {}): Promise<Map<string, number>> {
    let list = await this.listTopics(credentials, timeoutMs)
    const names = (): Map<string, number> => new Map(list.map((t) => [t.name, t.partitions]))
    let known = names()
    if (topics.some((t) => !known.has(t))) {
      list = await this.listTopics(credentials, timeoutMs, true)
      known = names()
    }
    for (const topic of topics) {
      if (known.has(topic)) continue
      if (credentials !== null && this.hasOwnIdentity()) {
        const visible = await this.listTopics(null, timeoutMs).catch(() => [])
        if (visible.some((t) => t.name === topic)) throw new KafkaError('FG_FORBIDDEN', `you may not read topic ${topic}`)
      } else if (credentials !== null && opts.leaveUnseenToConsumer === true) {
        continue
      } else if (credentials !== null && await this.unseenTopicAccess(topic, credentials, timeoutMs) === 'forbidden') {
        throw new KafkaError('FG_FORBIDDEN', `you may not read topic ${topic}`)
      }
      throw new KafkaError('FG_TOPIC_NOT_FOUND', `topic ${topic} does not exist; GET /topics lists the topics you can read`)
    }
    return known
  }

  private hasOwnIdentity (): boolean {
    return this.config.KAFKA_SECURITY_PROTOCOL === 'plaintext' ||
      (this.config.KAFKA_USERNAME !== undefined && this.config.KAFKA_PASSWORD !== undefined)
  }

  async watermarks (topic: string, partition: number, credentials: KafkaCredentials, timeoutMs: number): Promise<{ low: number, high: number }> {
    const cached = await this.client(credentials, timeoutMs)
    try {
      const w = await bounded(new Promise<{ lowOffset: number, highOffset: number }>((resolve, reject) => {
        cached.producer.queryWatermarkOffsets(topic, partition, timeoutMs, (err, offsets) => {
          if (err !== null && err !== undefined) reject(err); else resolve(offsets)
        })
      }), timeoutMs + 1000, () => new Error(`no watermarks from Kafka within ${timeoutMs} ms`))
      return { low: w.lowOffset, high: w.highOffset }
    } catch (err) {
      throw kafkaError(err, `cannot read the offsets of ${topic}/${partition}`)
    }
  }

  /** Per partition of `topic`: the group's committed offset, the watermarks and the lag. */
  async groupOffsets (topic: string, groupId: string, credentials: KafkaCredentials, timeoutMs: number): Promise<PartitionOffsets[]> {
    const known = await this.ensureTopics([topic], credentials, timeoutMs)
    const partitions = Array.from({ length: known.get(topic) ?? 0 }, (_, partition) => ({ topic, partition }))
    const consumer = await this.shortLivedConsumer(groupId, credentials, timeoutMs)
    try {
      const committed = await bounded(new Promise<rdkafka.TopicPartitionOffset[]>((resolve, reject) => {
        consumer.committed(partitions, timeoutMs, (err, result) => { if (err !== null && err !== undefined) reject(err); else resolve(result) })
      }), timeoutMs + 1000, () => new Error(`no committed offsets from Kafka within ${timeoutMs} ms`))
      return await Promise.all(partitions.map(async ({ partition }) => {
        const { low, high } = await this.watermarks(topic, partition, credentials, timeoutMs)
        const offset = committed.find((c) => c.partition === partition)?.offset
        const has = offset !== undefined && offset >= 0
        return { partition, committed: has ? offset : null, low, high, lag: Math.max(0, high - (has ? Math.max(offset, low) : low)) }
      }))
    } catch (err) {
      throw kafkaError(err, `cannot read the offsets of group ${groupId}`)
    } finally {
      await disconnect(consumer, this.log)
    }
  }

  /**
   * The message at (topic, partition, offset), read by an assigned consumer that joins no
   * group and commits nothing. Null when the offset is outside the watermarks (or no longer
   * retained); KafkaError on failure.
   */
  async fetchOne (topic: string, partition: number, offset: number, credentials: KafkaCredentials, timeoutMs: number): Promise<Message | null> {
    const known = await this.ensureTopics([topic], credentials, timeoutMs)
    if (partition >= (known.get(topic) ?? 0)) return null
    const { low, high } = await this.watermarks(topic, partition, credentials, timeoutMs)
    if (offset < low || offset >= high) return null
    const consumer = await this.shortLivedConsumer(this.lookupGroup(credentials), credentials, timeoutMs)
    try {
      consumer.assign([{ topic, partition, offset }])
      consumer.setDefaultConsumeTimeout(100)
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const messages = await new Promise<Message[]>((resolve, reject) => {
          consumer.consume(1, (err, result) => { if (err !== null && err !== undefined) reject(err); else resolve(result) })
        })
        const found = messages.find((m) => m.offset === offset)
        if (found !== undefined) return found
        // A compacted or transactional log may skip the offset: the next one is past it.
        if (messages.some((m) => m.offset > offset)) return null
      }
      throw new KafkaError('FG_KAFKA_UNAVAILABLE', `Kafka did not return ${topic}/${partition}/${offset} within ${timeoutMs} ms`, { canRetry: true })
    } catch (err) {
      throw kafkaError(err, `cannot read ${topic}/${partition}/${offset}`)
    } finally {
      try { consumer.unassign() } catch {}
      await disconnect(consumer, this.log)
    }
  }

  /**
   * The group of the look-up consumers, which never join it (assign only) but need its
   * coordinator: in AUTH_MODE=kafka inside the user's own groups (KAFKA_USER_GROUP_PREFIX).
   */
  private lookupGroup (credentials: KafkaCredentials): string {
    return credentials === null ? `fink-gateway-permalink-${process.pid}` : gatewayGroupId(this.config, credentials, 'fink-gateway-permalink')
  }

  /**
   * Whether the user may describe a topic that the user's metadata does not show (Kafka hides
   * both missing and forbidden topics): an OffsetFetch through the user's look-up group answers
   * TOPIC_AUTHORIZATION_FAILED for a forbidden one. 'unknown' when Kafka does not say in time.
   */
  private async unseenTopicAccess (topic: string, credentials: KafkaCredentials, timeoutMs: number): Promise<'forbidden' | 'unknown'> {
    let consumer: rdkafka.KafkaConsumer
    try {
      consumer = await this.shortLivedConsumer(this.lookupGroup(credentials), credentials, timeoutMs)
    } catch {
      return 'unknown'
    }
    try {
      const result = await bounded(new Promise<Array<rdkafka.TopicPartitionOffset | Error>>((resolve, reject) => {
        consumer.committed([{ topic, partition: 0 }], timeoutMs, (err, out) => { if (err !== null && err !== undefined) reject(err); else resolve(out) })
      }), timeoutMs + 1000, () => new Error(`no committed offsets from Kafka within ${timeoutMs} ms`))
      // node-rdkafka gives a per-partition error as an Error in place of the partition
      return result.some((p) => p instanceof Error && /authorization failed/i.test(p.message)) ? 'forbidden' : 'unknown'
    } catch (err) {
      this.log.debug({ err, topic }, 'unseen topic: Kafka did not say whether it is forbidden')
      return 'unknown'
    } finally {
      await disconnect(consumer, this.log)
    }
  }

  private async shortLivedConsumer (groupId: string, credentials: KafkaCredentials, timeoutMs: number): Promise<rdkafka.KafkaConsumer> {
    const consumer = new rdkafka.KafkaConsumer({
      ...connectionOptions(this.config, credentials),
      'client.id': 'fink-gateway-admin',
      'group.id': groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'fetch.message.max.bytes': 4 * 1024 * 1024,
      'queued.max.messages.kbytes': 8192,
      'fetch.wait.max.ms': 50
    }, {})
    try {
      await bounded(new Promise<void>((resolve, reject) => {
        consumer.connect({ allTopics: false, timeout: timeoutMs }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
      }), timeoutMs + 1000, () => new Error(`no answer from Kafka within ${timeoutMs} ms`))
    } catch (err) {
      disconnect(consumer, this.log).catch(() => {})
      throw kafkaError(err, 'Kafka cannot be reached')
    }
    return consumer
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.sweeper)
    const all = [...this.clients.values()]
    this.clients.clear()
    await Promise.allSettled(all.map(async (p) => { await disconnect((await p).producer, this.log) }))
  }
}
