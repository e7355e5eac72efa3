/**
 * The core of `npm run replay`: publishes the records of Avro container files to Kafka in
 * Fink's wire format (schemaless Avro value; key = schema JSON, Fink version string, or none).
 * Used in-process by the CLI (scripts/replay.ts), the tests, the demo and the benchmarks.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import Kafka, { type LibrdKafkaError } from 'node-rdkafka'
import { readAvroFile, SchemaCache } from '../../src/avro/index.js'

export const KEY_MODES = ['schema', 'version', 'none'] as const
export type KeyMode = typeof KEY_MODES[number]

export interface ReplayOptions {
  paths: string[]
  topic: string
  /** Default: KAFKA_BROKERS, else localhost:9092. */
  brokers?: string
  key?: KeyMode
  /** Alerts per second; undefined: as fast as Kafka takes them. */
  rate?: number
  /** Replay the files again and again until `signal` aborts. */
  loop?: boolean
  /** Partitions of the topic when it has to be created (default 1). */
  partitions?: number
  /** Where Fink version schemas are looked up for `key: 'version'` (default: the project's schemas/). */
  schemasDir?: string
  /** Extra librdkafka options (e.g. SASL). */
  kafkaConfig?: Record<string, string | number | boolean>
  /** Stops the replay (after flushing what was sent). */
  signal?: AbortSignal
  /** Called about every 200 ms and once at the end. */
  onProgress?: (progress: ReplayProgress) => void
  /** Bound on reaching Kafka (connect, topic creation). Default 15 s. */
  connectTimeoutMs?: number
}

export interface ReplayProgress {
  sent: number
  delivered: number
  file: string
  /** Records in one pass over all files, once known. */
  perPass: number | undefined
  pass: number
}

export interface ReplayResult {
  sent: number
  delivered: number
  files: number
  passes: number
  seconds: number
}

/** A replay that cannot go on: its message is one line a person can act on. */
export class ReplayError extends Error {
  override name = 'ReplayError'
}

const MAX_IN_FLIGHT = 500
const FLUSH_TIMEOUT_MS = 30_000
const DISCONNECT_TIMEOUT_MS = 5_000
const PROGRESS_EVERY_MS = 200
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/

export function defaultBrokers (): string {
  const env = process.env.KAFKA_BROKERS
  return env !== undefined && env !== '' ? env : 'localhost:9092'
}

/** The .avro / .avro.gz files of these paths: folders recursively, each folder's files sorted. */
export async function expandPaths (paths: string[]): Promise<string[]> {
  const out: string[] = []
  for (const path of paths) {
    let info
    try {
      info = await stat(path)
    } catch {
      throw new ReplayError(`${path}: no such file or folder`)
    }
    if (info.isDirectory()) {
      const found = (await readdir(path, { recursive: true, encoding: 'utf8' }))
        .filter((f) => /\.avro(\.gz)?$/.test(f))
        .map((f) => join(path, f))
        .sort()
      if (found.length === 0) throw new ReplayError(`${path}: no .avro or .avro.gz files in this folder`)
      out.push(...found)
    } else {
      out.push(path)
    }
  }
  return out
}

interface LoadedFile { path: string, key: Buffer | null, records: Buffer[] }

async function loadFile (path: string, mode: KeyMode, schemas: SchemaCache): Promise<LoadedFile> {
  let file
  try {
    file = await readAvroFile(path)
  } catch (err) {
    throw new ReplayError((err as Error).message)
  }
  let key: Buffer | null = null
  if (mode === 'schema') {
    key = Buffer.from(file.schemaText, 'utf8')
  } else if (mode === 'version') {
    const version = schemas.versionOf(schemas.fromText(file.schemaText))
    if (version === undefined) {
      throw new ReplayError(`${path}: its schema matches no Fink version schema in ${schemas.schemasDir}; use --key schema (or --key none)`)
    }
    key = Buffer.from(version, 'utf8')
  }
  return { path, key, records: file.records }
}

function withTimeout<T> (what: string, ms: number, start: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ReplayError(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms)
    start((err, value) => {
      clearTimeout(timer)
      if (err !== null && err !== undefined) reject(err)
      else resolve(value as T)
    })
  })
}

function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

async function createTopicIfMissing (brokers: string, topic: string, partitions: number,
  config: Record<string, string | number | boolean>, timeoutMs: number): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': brokers, 'client.id': 'fink-gateway-replay', ...config })
  try {
    await withTimeout<void>(`cannot reach Kafka at ${brokers}`, timeoutMs, (done) => {
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, timeoutMs - 1000, (err: LibrdKafkaError) => {
        // 36: TOPIC_ALREADY_EXISTS, the usual case after the first run.
        if (err === null || err === undefined || err.code === 36) done(null)
        else if (err.code === -185) done(new ReplayError(`cannot reach Kafka at ${brokers}: no answer within ${Math.round(timeoutMs / 1000)} s`))
        else done(new ReplayError(`cannot create topic ${topic} on ${brokers}: ${err.message}`))
      })
    })
  } finally {
    admin.disconnect()
  }
}

/** Tokens for `rate` alerts per second, at most a tenth of a second's worth saved up. */
class TokenBucket {
  private tokens = 1
  private last = performance.now()
  private readonly capacity: number
  constructor (private readonly rate: number) {
    this.capacity = Math.max(1, rate / 10)
  }

  /** Milliseconds to wait before the next alert may go (0: go now, the token is taken). */
  take (): number {
    const now = performance.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return ((1 - this.tokens) / this.rate) * 1000
  }
}

export async function replayFiles (opts: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now()
  const brokers = opts.brokers ?? defaultBrokers()
  const mode = opts.key ?? 'schema'
  const partitions = opts.partitions ?? 1
  const timeoutMs = opts.connectTimeoutMs ?? 15_000
  const config = opts.kafkaConfig ?? {}
  if (!TOPIC_NAME.test(opts.topic)) throw new ReplayError(`invalid topic name "${opts.topic}": use letters, digits, . _ - (at most 249)`)
  if (!KEY_MODES.includes(mode)) throw new ReplayError(`--key must be one of ${KEY_MODES.join(', ')}, got "${String(mode)}"`)
  if (opts.rate !== undefined && !(opts.rate > 0 && Number.isFinite(opts.rate))) throw new ReplayError(`--rate must be a positive number of alerts per second, got ${opts.rate}`)
  if (!Number.isInteger(partitions) || partitions < 1) throw new ReplayError(`--partitions must be a positive integer, got ${partitions}`)
  if (opts.paths.length === 0) throw new ReplayError('no files or folders to replay')

  const files = await expandPaths(opts.paths)
  const schemas = new SchemaCache(opts.schemasDir !== undefined ? { schemasDir: opts.schemasDir } : {})
  // Read and check the first file before touching Kafka: a bad file fails fast.
  let firstLoaded: LoadedFile | undefined = await loadFile(files[0] as string, mode, schemas)

  await createTopicIfMissing(brokers, opts.topic, partitions, config, timeoutMs)

  const producerConfig: Record<string, string | number | boolean> = {
    'metadata.broker.list': brokers,
    'client.id': 'fink-gateway-replay',
    dr_cb: true,
    'linger.ms': 5,
    'queue.buffering.max.messages': MAX_IN_FLIGHT * 2,
    'queue.buffering.max.kbytes': 256 * 1024,
    'message.max.bytes': 16 * 1024 * 1024,
    // Alerts share one key (the schema): spread them over the partitions anyway.
    partitioner: 'random',
    ...config
  }
  const producer = new Kafka.Producer(producerConfig as Kafka.ProducerGlobalConfig)
  let delivered = 0
  let failed: { message: string } | undefined
  let waiting: (() => void) | undefined
  producer.on('delivery-report', (err) => {
    if (err !== null && err !== undefined) failed ??= err
    else delivered++
    if (waiting !== undefined) { const w = waiting; waiting = undefined; w() }
  })
  producer.on('event.error', (err) => { failed ??= err })
  await withTimeout<void>(`cannot reach Kafka at ${brokers}`, timeoutMs, (done) => {
    producer.connect({ timeout: timeoutMs }, (err) => done(err !== null && err !== undefined ? new ReplayError(`cannot reach Kafka at ${brokers}: ${err.message}`) : null))
  })
  producer.setPollInterval(10)

  let sent = 0
  let pass = 0
  let perPass: number | undefined
  let currentFile = ''
  let lastProgress = 0
  const report = (force: boolean): void => {
    if (opts.onProgress === undefined) return
    const now = performance.now()
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) return
    lastProgress = now
    opts.onProgress({ sent, delivered, file: currentFile, perPass, pass })
  }
  const bucket = opts.rate !== undefined ? new TokenBucket(opts.rate) : undefined
  const stopped = (): boolean => opts.signal?.aborted === true

  try {
    do {
      let inPass = 0
      for (const path of files) {
        if (stopped()) break
        const file = firstLoaded ?? await loadFile(path, mode, schemas)
        firstLoaded = undefined
        currentFile = path
        for (const value of file.records) {
          if (stopped()) break
          if (failed !== undefined) throw new ReplayError(`delivery to ${opts.topic} failed: ${failed.message}`)
          if (bucket !== undefined) {
            let wait: number
            while ((wait = bucket.take()) > 0 && !stopped()) await sleep(wait, opts.signal)
            if (stopped()) break
          }
          // Bounded in flight: wait for delivery reports before queueing more.
          const full = (): boolean => sent - delivered >= MAX_IN_FLIGHT && failed === undefined
          while (full()) {
            await new Promise<void>((resolve) => { waiting = resolve; setTimeout(resolve, 100) })
          }
          while (!tryProduce(producer, opts.topic, value, file.key)) await sleep(10, undefined)
          sent++
          inPass++
          report(false)
        }
      }
      if (!stopped()) pass++
      perPass ??= inPass
    } while (opts.loop === true && !stopped())

    await withTimeout<void>(`flushing to ${brokers}`, FLUSH_TIMEOUT_MS, (done) => {
      producer.flush(FLUSH_TIMEOUT_MS - 1000, (err) => done(err !== null && err !== undefined ? new ReplayError(`flushing to ${brokers} failed: ${err.message}`) : null))
    })
    // The last delivery reports arrive through the poll interval after the flush.
    const deadline = Date.now() + FLUSH_TIMEOUT_MS
    const unconfirmed = (): boolean => delivered < sent && failed === undefined && Date.now() < deadline
    while (unconfirmed()) await sleep(10, undefined)
    if (failed !== undefined) throw new ReplayError(`delivery to ${opts.topic} failed: ${failed.message}`)
    if (delivered < sent) throw new ReplayError(`${sent - delivered} of ${sent} alerts not confirmed by Kafka at ${brokers}`)
    report(true)
  } finally {
    producer.setPollInterval(0)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DISCONNECT_TIMEOUT_MS)
      producer.disconnect(() => { clearTimeout(timer); resolve() })
    })
  }
  return { sent, delivered, files: files.length, passes: pass, seconds: (performance.now() - started) / 1000 }
}

/** produce(); false when librdkafka's local queue is full (the caller waits and retries). */
function tryProduce (producer: Kafka.Producer, topic: string, value: Buffer, key: Buffer | null): boolean {
  try {
    producer.produce(topic, null, value, key, Date.now())
    return true
  } catch (err) {
    // -184: RD_KAFKA_RESP_ERR__QUEUE_FULL
    if ((err as LibrdKafkaError).code === -184) return false
    throw new ReplayError(`cannot produce to ${topic}: ${(err as Error).message}`)
  }
}
