/**
 * One client session: one node-rdkafka KafkaConsumer in its own consumer group, pulled on
 * demand, committing only what the client has. Transport-independent: REST, WebSocket (and a
 * later SSE transport) drive it through this API:
 *
 *   const session = new ClientSession({ config, transport, principal, groupId, topics, start, log, metrics })
 *   await session.open(timeoutMs)              // connect + subscribe; KafkaError (503/404/403) on failure
 *   const records = await session.pull(max, deadline, signal?, maxBytes?)
 *       // up to `max` records (and about `maxBytes`), returns as soon as they are there or at `deadline` (epoch ms)
 *       // or when `signal` aborts; records are "in flight" until one of:
 *   session.delivered(records, 'now' | 'later' | 'never')
 *       // the client has them: commit offset+1 per partition now, at the next commitDelivered(),
 *       // or not at all (ack=manual: the position is remembered, acknowledge() commits)
 *   session.acknowledge(topic, partition, offset) // ack=manual: commit up to offset+1 of what was delivered
 *   session.commitDelivered()                  // sends staged offsets (asynchronous)
 *   await session.redeliver(records)           // the client did not get them: seek back so they come again
 *   await session.lag()                        // per assigned partition: next offset, high watermark, lag
 *   await session.close()                      // idempotent; commits what was delivered, bounded disconnect
 *
 * Rules kept here (DESIGN.md): non-flowing consume(n) only when the transport asks; auto commit
 * and auto offset store off; `start` applied on assignment through a rebalance callback
 * (OFFSET_BEGINNING / OFFSET_END, or offsetsForTimes looked up when the session opens); never a
 * consume call after disconnect, and disconnect only once no consume call is in flight
 * (node-rdkafka#1057); disconnect bounded by a timeout (librdkafka#4486).
 *
 * A requested `start` is also committed for the group as soon as it is resolved (unless the
 * client got something there first), so that a session which closes before delivering anything
 * still leaves the group where the client asked it to begin.
 *
 * A throw-away session (no group_id: `fink-gateway-tmp-<uuid>`, in AUTH_MODE=kafka behind
 * KAFKA_USER_GROUP_PREFIX) starts at `latest` unless told
 * otherwise and never commits, so it leaves no offsets behind in Kafka.
 */
import { randomUUID } from 'node:crypto'
import rdkafka, { type KafkaConsumer, type LibrdKafkaError, type Message, type TopicPartition, type TopicPartitionOffset } from 'node-rdkafka'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { GatewayMetrics } from '../metrics.js'
import type { Principal } from '../auth/principal.js'
import type { KafkaRecord } from '../avro/index.js'
import { consumerOptions, gatewayGroupId } from './consumer-options.js'
import { KafkaError, isTransient, kafkaError } from './errors.js'

const E = rdkafka.CODES.ERRORS
const OFFSET_BEGINNING = -2
const OFFSET_END = -1

/**
 * How long one native consume call may wait for the next message. Each call holds a libuv
 * thread-pool thread meanwhile, so it is short, and an empty answer is followed by a pause on
 * the JavaScript side (IDLE_PAUSE_MS): an idle session occupies a pool thread ~20% of the time
 * instead of always (size UV_THREADPOOL_SIZE for the session count all the same).
 */
const CONSUME_WAIT_MS = 20
const IDLE_PAUSE_MS = 80
const DISCONNECT_TIMEOUT_MS = 5000
const SEEK_TIMEOUT_MS = 2000
const WATERMARK_TIMEOUT_MS = 2000
/** Least time the AUTH_MODE=kafka access check waits for Kafka (usually a few ms), whatever the request's timeout. */
const ACCESS_CHECK_MS = 5000
/** One OffsetFetch attempt of the access check (it waits for the group's coordinator). */
const ACCESS_STEP_MS = 250
/**
 * A session pulled this long in total without its group answering with an assignment (2 ×
 * session.timeout.ms, src/kafka/consumer-options.ts) is presumed stuck: a consumer can end a
 * broker outage outside its group for good (a rebalance step lost or refused). Only time spent
 * pulling counts: the group can only progress while consume calls serve its callbacks.
 */
const UNASSIGNED_LIMIT_MS = 60000

export type Transport = 'rest' | 'ws' | 'sse'

export type StartPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'time', ms: number }

export function sameStart (a: StartPosition | undefined, b: StartPosition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.kind !== b.kind) return false
  return a.kind !== 'time' || a.ms === (b as { ms: number }).ms
}

/** A Kafka message as the decoder takes it, with its size for the transports' byte bounds. */
export interface SessionRecord extends KafkaRecord {
  size: number
}

/** A node-rdkafka message as a SessionRecord (keys always as bytes). */
export function recordOf (m: Message): SessionRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: typeof m.key === 'string' ? Buffer.from(m.key) : m.key,
    value: m.value,
    size: m.size
  }
}

export interface PartitionLag {
  topic: string
  partition: number
  /** The next offset this session would deliver (null before anything is known). */
  next: number | null
  low: number
  high: number
  lag: number
}

export interface ClientSessionOptions {
  config: Config
  transport: Transport
  principal: Principal
  /** The client's group; null for a throw-away group (streams without group_id). */
  groupId: string | null
  topics: readonly string[]
  start?: StartPosition | undefined
  /** Next offset per topic and partition to resume at (a cursor); takes precedence over `start` for those partitions. */
  resume?: ReadonlyMap<string, ReadonlyMap<number, number>> | undefined
  log: FastifyBaseLogger
  metrics: GatewayMetrics
  /** The stuck session this one replaces: partitions it positioned are not repositioned by `start` again. */
  replaces?: ClientSession | undefined
  /** Overrides UNASSIGNED_LIMIT_MS (tests). */
  unassignedLimitMs?: number | undefined
}

type State = 'new' | 'opening' | 'open' | 'closed'

/** Waits `ms`, or less if `signal` aborts. */
async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>((resolve) => {
    const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

function isConnectivity (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === E.ERR__ALL_BROKERS_DOWN || code === E.ERR__TRANSPORT || code === E.ERR__RESOLVE
}

const tpKey = (topic: string, partition: number): string => `${partition}\u0000${topic}`

export class ClientSession {
  readonly id = randomUUID()
  readonly transport: Transport
  readonly principal: Principal
  readonly groupId: string
  readonly ephemeral: boolean
  readonly topics: readonly string[]
  readonly start: StartPosition | undefined
  readonly resume: ReadonlyMap<string, ReadonlyMap<number, number>> | undefined
  readonly log: FastifyBaseLogger
  readonly createdAt = Date.now()

  private readonly config: Config
  private readonly metrics: GatewayMetrics
  private consumer: KafkaConsumer | null = null
  private state: State = 'new'
  private counted = false
  private closing: Promise<void> | null = null
  /** Native calls in flight (consume, seek, watermarks…): disconnect waits for all of them (node-rdkafka#1057). */
  private readonly inflight = new Set<Promise<unknown>>()
  /** Offsets found by offsetsForTimes for `start` = a time, by partition. */
  private readonly timeOffsets = new Map<string, number>()
  /** Partitions whose start position was applied already in this session, or that have a commit. */
  private readonly positioned = new Set<string>()
  private assignment: TopicPartition[] = []
  private assignedWaiters: Array<() => void> = []
  private assignedOnce = false
  /** No assignment since the session subscribed or its partitions were revoked. */
  private awaitingAssignment = true
  /** Time spent in pull() while awaitingAssignment. */
  private unassignedPulledMs = 0
  private readonly unassignedLimitMs: number
  /** A rebalance error or failed rebalance step, or a fatal consumer error: the consumer cannot recover. */
  private failure: unknown = null
  /** Next offset to commit, by partition, waiting for the next commit call. */
  private readonly toCommit = new Map<string, TopicPartitionOffset>()
  /** Next offset the client has not received yet, by partition (offset of the last delivered + 1). */
  private readonly nextToDeliver = new Map<string, number>()
  /** Records pulled and not yet marked delivered or redelivered. */
  private inFlight = 0
  readonly stats = { pulled: 0, delivered: 0, commits: 0, redelivered: 0 }

  constructor (opts: ClientSessionOptions) {
    this.config = opts.config
    this.metrics = opts.metrics
    this.transport = opts.transport
    this.principal = opts.principal
    this.ephemeral = opts.groupId === null
    this.groupId = opts.groupId ?? gatewayGroupId(opts.config, opts.principal.credentials, `fink-gateway-tmp-${randomUUID()}`)
    this.topics = [...opts.topics]
    // A throw-away group has no committed offsets to resume from: it starts at the live end.
    this.start = opts.start ?? (this.ephemeral ? { kind: 'latest' } : undefined)
    this.resume = opts.resume
    this.log = opts.log.child({ session: this.id, transport: this.transport, group: this.groupId })
    this.unassignedLimitMs = opts.unassignedLimitMs ?? UNASSIGNED_LIMIT_MS
    for (const key of opts.replaces?.positioned ?? []) this.positioned.add(key)
  }

  /** Runs one native call, registered so that teardown never disconnects while it is in flight. */
  private async native<T> (call: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      call((err, value) => { if (err !== null && err !== undefined) reject(err); else resolve(value as T) })
    })
    const settled = promise.then(() => {}, () => {})
    this.inflight.add(settled)
    try {
      return await promise
    } finally {
      this.inflight.delete(settled)
    }
  }

  get closed (): boolean { return this.state === 'closed' }
  get isOpen (): boolean { return this.state === 'open' }

  /**
   * Why this open session cannot deliver any more and should be replaced by a new one (null
   * while healthy): its consumer reported a rebalance or fatal error, or it was pulled for
   * longer than the limit without its group assigning it anything (not even an empty
   * assignment, which a member of a shared group may legitimately get). Closing it loses
   * nothing: offsets are committed only after delivery.
   */
  stuckReason (): string | null {
    if (this.state !== 'open') return null
    if (this.failure !== null) return `consumer failed: ${this.failure instanceof Error ? this.failure.message : String(this.failure)}`
    if (this.awaitingAssignment && this.unassignedPulledMs > this.unassignedLimitMs) return `no assignment from the group after ${this.unassignedPulledMs} ms of pulling`
    return null
  }

  /** Partitions assigned to this session's consumer now. */
  assignedPartitions (): TopicPartition[] { return this.assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition })) }

  /**
   * Connects and subscribes. Fails with a KafkaError within `timeoutMs` when the brokers cannot
   * be reached; the session is closed (and its resources released) on failure.
   */
  async open (timeoutMs: number): Promise<void> {
    if (this.state !== 'new') throw new Error('ClientSession.open called twice')
    this.state = 'opening'
    this.counted = true
    this.metrics.sessionsOpen.inc({ transport: this.transport })
    this.metrics.sessionsOpenedTotal.inc({ transport: this.transport })
    const consumer = new rdkafka.KafkaConsumer(
      consumerOptions(this.config, {
        groupId: this.groupId,
        credentials: this.principal.credentials,
        rebalance: (err: LibrdKafkaError, assignment: TopicPartition[]) => { this.onRebalance(err, assignment) },
        offsetCommit: (err: LibrdKafkaError | undefined, offsets: TopicPartitionOffset[]) => { this.onOffsetCommit(err, offsets) }
      }),
      // A resumed offset that retention deleted meanwhile goes to the oldest alert still held (the client is warned).
      { 'auto.offset.reset': this.start?.kind === 'latest' && this.resume === undefined ? 'latest' : 'earliest' }
    )
    this.consumer = consumer
    consumer.setDefaultConsumeTimeout(CONSUME_WAIT_MS)
    try {
      // Bounded here too: node-rdkafka can take longer than the metadata timeout to give up. A
      // connect still running when open() gives up is tracked, so teardown waits for it and
      // disconnects what it connected.
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          this.native<unknown>((done) => { consumer.connect({ topic: this.topics[0], allTopics: false, timeout: timeoutMs }, done) }),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => { reject(new KafkaError('FG_KAFKA_UNAVAILABLE', `no answer from Kafka within ${timeoutMs} ms`, { canRetry: true })) }, timeoutMs + 500)
          })
        ])
      } catch (err) {
        throw kafkaError(err, 'cannot connect to Kafka')
      } finally {
        clearTimeout(timer)
      }
      if (this.closed) throw new KafkaError('FG_SHUTTING_DOWN', 'the session was closed while it opened')
      if (this.principal.credentials !== null) await this.checkAccess(Math.max(timeoutMs, ACCESS_CHECK_MS))
      if (this.closed) throw new KafkaError('FG_SHUTTING_DOWN', 'the session was closed while it opened')
      if (this.start?.kind === 'time') await this.lookUpTimeOffsets(this.start.ms, timeoutMs)
      if (this.closed) throw new KafkaError('FG_SHUTTING_DOWN', 'the session was closed while it opened')
      consumer.subscribe([...this.topics])
      this.state = 'open'
      this.log.debug({ topics: this.topics, start: this.start }, 'session open')
    } catch (err) {
      await this.close()
      throw kafkaError(err, 'cannot open the session')
    }
  }

  /**
   * AUTH_MODE=kafka: whether the user may use the group and describe the topics, asked before
   * subscribing so that a refusal is a 403 whatever the request's timeout (otherwise it arrives
   * with the first consume calls, possibly after a short poll has answered with nothing). An
   * OffsetFetch of partition 0 of each topic: it needs the group's coordinator, which Kafka
   * refuses with GROUP_AUTHORIZATION_FAILED onto the consumer's queue (read by consume calls,
   * none of which can return a message before subscribe), and answers a forbidden topic with
   * TOPIC_AUTHORIZATION_FAILED. Kafka not answering in time decides nothing: the consumer's own
   * errors still apply.
   */
  private async checkAccess (timeoutMs: number): Promise<void> {
    const consumer = this.consumer
    if (consumer === null) return
    const started = Date.now()
    const partitions = this.topics.map((topic) => ({ topic, partition: 0 }))
    let result: Array<TopicPartitionOffset | Error> | null = null
    // Short steps, one native call at a time: a refused group never finds its coordinator, and a
    // committed() call waiting for it would hold the session's teardown (it waits for native calls).
    while (result === null && !this.closed && Date.now() - started < timeoutMs) {
      try {
        await this.native<Message[]>((done) => { consumer.consume(1, done) })
      } catch (err) {
        if ((err as { code?: unknown }).code === E.ERR_GROUP_AUTHORIZATION_FAILED) {
          throw new KafkaError('FG_FORBIDDEN', `you may not use group_id ${this.groupId}: Kafka refused access to the group`, { cause: err })
        }
      }
      try {
        result = await this.native<Array<TopicPartitionOffset | Error>>((done) => { consumer.committed(partitions, ACCESS_STEP_MS, done) })
      } catch (err) {
        if ((err as { code?: unknown }).code === E.ERR_GROUP_AUTHORIZATION_FAILED) throw kafkaError(err, `group ${this.groupId}`)
      }
    }
    if (result === null) {
      this.log.debug({ ms: Date.now() - started }, 'access check: no answer from Kafka, left to the consumer')
      return
    }
    const answer = result
    const refused = this.topics.filter((_topic, i) => { const p = answer[i]; return p instanceof Error && /authorization failed/i.test(p.message) })
    if (refused.length > 0) throw new KafkaError('FG_FORBIDDEN', `you may not read topic ${refused.join(', ')}`)
    this.log.debug({ ms: Date.now() - started }, 'access checked')
  }

  private async lookUpTimeOffsets (ms: number, timeoutMs: number): Promise<void> {
    const consumer = this.consumer
    if (consumer === null) return
    const partitions: TopicPartitionOffset[] = []
    for (const topic of this.topics) {
      const metadata = await this.native<rdkafka.Metadata>((done) => {
        consumer.getMetadata({ topic, allTopics: false, timeout: timeoutMs }, done)
      })
      const found = metadata.topics.find((t) => t.name === topic)
      for (const p of found?.partitions ?? []) partitions.push({ topic, partition: p.id, offset: ms })
    }
    if (partitions.length === 0) return
    const offsets = await this.native<TopicPartitionOffset[]>((done) => {
      consumer.offsetsForTimes(partitions, timeoutMs, done)
    })
    // -1 (no message at or after that time) is OFFSET_END: the session waits for new ones.
    for (const tp of offsets) this.timeOffsets.set(tpKey(tp.topic, tp.partition), tp.offset)
  }

  private startOffsetFor (tp: TopicPartition): number | undefined {
    const key = tpKey(tp.topic, tp.partition)
    if (this.positioned.has(key)) return undefined
    this.positioned.add(key)
    const resumed = this.resume?.get(tp.topic)?.get(tp.partition)
    if (resumed !== undefined) return resumed
    switch (this.start?.kind) {
      case 'earliest': return OFFSET_BEGINNING
      case 'latest': return OFFSET_END
      case 'time': return this.timeOffsets.get(key) ?? OFFSET_END
      default: return undefined
    }
  }

  /**
   * Runs on the JavaScript thread when the group assigns or revokes partitions. `start` applies
   * once per partition per session (the first time it is assigned); afterwards, and for
   * sessions without `start`, the group's committed offsets decide (else auto.offset.reset).
   */
  private onRebalance (err: LibrdKafkaError, assignment: TopicPartition[]): void {
    const consumer = this.consumer
    if (consumer === null) return
    try {
      if (err.code === E.ERR__ASSIGN_PARTITIONS) {
        const withStart = assignment.map((tp) => {
          const offset = this.startOffsetFor(tp)
          return offset === undefined ? { topic: tp.topic, partition: tp.partition } : { topic: tp.topic, partition: tp.partition, offset }
        })
        consumer.assign(withStart)
        this.commitStartPositions(withStart.filter((tp): tp is TopicPartitionOffset => 'offset' in tp))
        this.assignment = assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition }))
        this.assignedOnce = true
        this.awaitingAssignment = false
        this.unassignedPulledMs = 0
        this.log.debug({ assignment: withStart }, 'partitions assigned')
        const waiters = this.assignedWaiters
        this.assignedWaiters = []
        for (const resolve of waiters) resolve()
      } else if (err.code === E.ERR__REVOKE_PARTITIONS) {
        // Commit what the client already has before another member takes these partitions.
        this.commitDelivered()
        consumer.unassign()
        this.assignment = []
        this.awaitingAssignment = true
        this.unassignedPulledMs = 0
        this.log.debug('partitions revoked')
      } else {
        this.failure = err
        this.log.warn({ err }, 'rebalance error')
      }
    } catch (error) {
      // librdkafka now waits for an assign/unassign that never comes: the consumer is stuck.
      if (this.state !== 'closed') this.failure = error
      if (consumer.isConnected() && this.state !== 'closed') this.log.warn({ err: error }, 'rebalance handling failed')
    }
  }

  /**
   * Makes a requested `start` the group's position at once: without it, a session that read
   * nothing before it closed (an idle REST session) would leave the group where it was, and the
   * next session without `start` would not begin where the client asked. Skipped for partitions
   * that delivered (and so committed) something meanwhile, and for throw-away groups.
   */
  private commitStartPositions (started: readonly TopicPartitionOffset[]): void {
    const consumer = this.consumer
    if (this.ephemeral || started.length === 0 || consumer === null) return
    Promise.all(started.map(async (tp) => {
      let offset = tp.offset
      if (offset < 0) {
        const w = await this.native<{ lowOffset: number, highOffset: number }>((done) => {
          consumer.queryWatermarkOffsets(tp.topic, tp.partition, WATERMARK_TIMEOUT_MS, done)
        })
        offset = offset === OFFSET_BEGINNING ? w.lowOffset : w.highOffset
      }
      const key = tpKey(tp.topic, tp.partition)
      if (this.state === 'open' && !this.nextToDeliver.has(key) && !this.toCommit.has(key)) this.stageCommit(tp.topic, tp.partition, offset)
    })).then(() => { this.commitDelivered() }, (err: unknown) => {
      this.log.debug({ err }, 'could not commit the start position (the session reads from it all the same)')
    })
  }

  private onOffsetCommit (err: LibrdKafkaError | undefined, offsets: TopicPartitionOffset[]): void {
    if (err === undefined || err === null) {
      this.metrics.commitsTotal.inc()
      this.stats.commits++
      return
    }
    const code = typeof err === 'number' ? err : err.code
    if (code === E.ERR__NO_OFFSET) return
    this.metrics.commitErrorsTotal.inc()
    this.log.warn({ err, offsets }, 'offset commit failed')
  }

  /** Resolves once the group has assigned partitions (or after timeoutMs, or on close). Pull drives the assignment. */
  async whenAssigned (timeoutMs: number): Promise<boolean> {
    if (this.assignedOnce) return true
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { done(false) }, timeoutMs)
      const done = (value: boolean): void => {
        clearTimeout(timer)
        this.assignedWaiters = this.assignedWaiters.filter((w) => w !== onAssigned)
        resolve(value)
      }
      const onAssigned = (): void => { done(true) }
      this.assignedWaiters.push(onAssigned)
    })
  }

  private async consumeOnce (max: number): Promise<Message[]> {
    const consumer = this.consumer
    if (consumer === null || this.state !== 'open') return []
    // node-rdkafka's consume(n) starts its wait again after every message, so at a live rate it
    // only returns once all n have arrived (at 300 alerts/s: a p99 of 312 ms, bench/PROFILE.md).
    // Wait for the first message only, then take what is already queued without waiting.
    const first = await this.native<Message[]>((done) => { consumer.consume(1, done) })
    if (first.length === 0 || max <= 1 || this.state !== 'open') return first
    consumer.setDefaultConsumeTimeout(0)
    try {
      const queued = await this.native<Message[]>((done) => { consumer.consume(max - 1, done) })
      return queued.length === 0 ? first : first.concat(queued)
    } catch (err) {
      // The first message left librdkafka already: hand it on (dropping it could let a later
      // commit skip it); the error comes back on the next call if it lasts.
      this.log.debug({ err }, 'consume of the queued messages failed; returning the first')
      return first
    } finally {
      consumer.setDefaultConsumeTimeout(CONSUME_WAIT_MS)
    }
  }

  /**
   * Up to `max` records; returns as soon as `max` are there (or `maxBytes` of message values),
   * at `deadline` (epoch ms), or when `signal` aborts, with what it has; with `returnOnFirst`
   * (streams), as soon as anything is there. Transient Kafka errors are retried until the deadline;
   * a missing topic or refused access throws a KafkaError. If nothing at all could be fetched
   * because the brokers are down the whole time, throws FG_KAFKA_UNAVAILABLE at the deadline.
   */
  async pull (max: number, deadline: number, signal?: AbortSignal, maxBytes = Infinity, returnOnFirst = false): Promise<SessionRecord[]> {
    const records: SessionRecord[] = []
    let bytes = 0
    let transientError: unknown = null
    let since = Date.now()
    const countUnassigned = (): void => {
      const now = Date.now()
      if (this.awaitingAssignment) this.unassignedPulledMs += now - since
      since = now
    }
    while (records.length < max && bytes < maxBytes && this.state === 'open' && signal?.aborted !== true) {
      countUnassigned()
      let messages: Message[]
      try {
        messages = await this.consumeOnce(max - records.length)
        transientError = null
      } catch (err) {
        if (this.state !== 'open') break
        if ((err as { code?: unknown }).code === E.ERR__FATAL) this.failure = err
        if (!isTransient(err)) throw kafkaError(err, 'reading from Kafka failed')
        transientError = err
        this.log.debug({ err }, 'transient consume error')
        await new Promise((resolve) => setTimeout(resolve, 50))
        messages = []
      }
      for (const m of messages) {
        records.push(recordOf(m))
        bytes += m.size
      }
      if (returnOnFirst && records.length > 0) break
      const left = deadline - Date.now()
      if (left <= 0) break
      if (messages.length === 0) await pause(Math.min(IDLE_PAUSE_MS, left), signal)
    }
    countUnassigned()
    if (records.length === 0 && isConnectivity(transientError)) {
      throw kafkaError(transientError, 'Kafka cannot be reached')
    }
    this.stats.pulled += records.length
    this.inFlight += records.length
    return records
  }

  /**
   * The client has these records. `commit`: 'now' commits offset+1 per partition at once (REST),
   * 'later' stages it for the next commitDelivered() call (streams batch their commits),
   * 'never' only remembers the position (ack=manual waits for acknowledge()).
   * Throw-away groups never commit.
   */
  delivered (records: readonly SessionRecord[], commit: 'now' | 'later' | 'never' = 'now'): void {
    for (const r of records) {
      const key = tpKey(r.topic, r.partition)
      const next = r.offset + 1
      if ((this.nextToDeliver.get(key) ?? -1) < next) this.nextToDeliver.set(key, next)
      if (commit !== 'never') this.stageCommit(r.topic, r.partition, next)
    }
    this.inFlight = Math.max(0, this.inFlight - records.length)
    this.stats.delivered += records.length
    if (commit === 'now') this.commitDelivered()
  }

  /**
   * ack=manual: the client confirms it has everything of this partition up to `offset`.
   * Returns false when that offset was never sent to this client (nothing is committed then).
   */
  acknowledge (topic: string, partition: number, offset: number, commit: 'now' | 'later' = 'now'): boolean {
    const next = this.nextToDeliver.get(tpKey(topic, partition))
    if (next === undefined || offset >= next || offset < 0) return false
    this.stageCommit(topic, partition, offset + 1)
    if (commit === 'now') this.commitDelivered()
    return true
  }

  private stageCommit (topic: string, partition: number, next: number): void {
    if (this.ephemeral) return
    const key = tpKey(topic, partition)
    const staged = this.toCommit.get(key)
    if (staged === undefined || staged.offset < next) this.toCommit.set(key, { topic, partition, offset: next })
    // A partition with a commit of ours is positioned by it from now on, not by `start`.
    this.positioned.add(key)
  }

  /** Sends staged offsets to Kafka (asynchronous; results counted in the commit metrics). */
  commitDelivered (): void {
    const consumer = this.consumer
    if (this.toCommit.size === 0 || consumer === null || !consumer.isConnected()) return
    const offsets = [...this.toCommit.values()]
    this.toCommit.clear()
    try {
      consumer.commit(offsets)
    } catch (err) {
      this.metrics.commitErrorsTotal.inc()
      this.log.warn({ err, offsets }, 'offset commit refused')
    }
  }

  /**
   * The client did not get these records (its connection closed before the response was
   * written): seek each partition back to its first undelivered offset, so the next pull
   * returns them again.
   */
  async redeliver (records: readonly SessionRecord[]): Promise<void> {
    this.inFlight = Math.max(0, this.inFlight - records.length)
    const consumer = this.consumer
    if (records.length === 0 || consumer === null || this.state !== 'open') return
    const first = new Map<string, TopicPartitionOffset>()
    for (const r of records) {
      const key = tpKey(r.topic, r.partition)
      const seen = first.get(key)
      if (seen === undefined || r.offset < seen.offset) first.set(key, { topic: r.topic, partition: r.partition, offset: r.offset })
    }
    await Promise.all([...first.values()].map(async (tp) => {
      await this.native<void>((done) => { consumer.seek(tp, SEEK_TIMEOUT_MS, done) })
        .catch((err: unknown) => { this.log.warn({ err, tp }, 'seek back for redelivery failed') })
    }))
    this.stats.redelivered += records.length
    this.log.debug({ positions: [...first.values()] }, 'undelivered records will come again')
  }

  /** Lag of each assigned partition whose watermarks Kafka gave, from the high watermark and what this session delivered. */
  async lag (): Promise<PartitionLag[]> {
    const consumer = this.consumer
    if (consumer === null || this.state !== 'open') return []
    const assignment = this.assignedPartitions()
    let positions: TopicPartitionOffset[] = []
    try { positions = consumer.position(assignment) } catch { positions = [] }
    const lags = await Promise.all(assignment.map(async (tp): Promise<PartitionLag | null> => {
      const key = tpKey(tp.topic, tp.partition)
      const watermarks = this.state !== 'open'
        ? null
        : await this.native<{ lowOffset: number, highOffset: number }>((done) => {
          consumer.queryWatermarkOffsets(tp.topic, tp.partition, WATERMARK_TIMEOUT_MS, done)
        }).catch(() => null)
      const position = positions.find((p) => p.topic === tp.topic && p.partition === tp.partition)?.offset
      const fetched = position !== undefined && position >= 0 ? position : null
      const next = this.nextToDeliver.get(key) ?? fetched
      // Unknown watermarks (Kafka not answering) must not read as "caught up": leave the partition out.
      if (watermarks === null) return null
      const low = watermarks.lowOffset
      const high = watermarks.highOffset
      return { topic: tp.topic, partition: tp.partition, next, low, high, lag: Math.max(0, high - (next ?? low)) }
    }))
    return lags.filter((l): l is PartitionLag => l !== null)
  }

  /** The next offset to deliver per partition (where a stalled client stopped). */
  positions (): Array<{ topic: string, partition: number, next: number }> {
    return [...this.nextToDeliver.entries()].map(([key, next]) => {
      const sep = key.indexOf('\u0000')
      return { topic: key.slice(sep + 1), partition: Number(key.slice(0, sep)), next }
    })
  }

  /**
   * Idempotent: commits what was delivered, waits for an in-flight consume call, then
   * disconnects once, bounded by a timeout. Resources are released on every path.
   */
  async close (): Promise<void> {
    if (this.closing !== null) return await this.closing
    this.state = 'closed'
    this.closing = this.teardown()
    return await this.closing
  }

  private async teardown (): Promise<void> {
    const consumer = this.consumer
    const waiters = this.assignedWaiters
    this.assignedWaiters = []
    for (const resolve of waiters) resolve()
    try {
      if (consumer !== null) {
        // Never disconnect under a native call (node-rdkafka#1057); each is bounded by its own timeout.
        while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
        this.commitDelivered()
        if (consumer.isConnected()) {
          let timer: NodeJS.Timeout | undefined
          const finished = await Promise.race([
            new Promise<boolean>((resolve) => { consumer.disconnect(() => { resolve(true) }) }),
            new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false) }, DISCONNECT_TIMEOUT_MS) })
          ])
          clearTimeout(timer)
          if (!finished) this.log.warn('consumer disconnect timed out; leaving it to librdkafka')
        }
        consumer.removeAllListeners()
      }
    } catch (err) {
      this.log.warn({ err }, 'closing the consumer failed')
    } finally {
      this.consumer = null
      if (this.counted) {
        this.counted = false
        this.metrics.sessionsOpen.dec({ transport: this.transport })
      }
      this.log.debug({ stats: this.stats }, 'session closed')
    }
  }
}

export { KafkaError }
