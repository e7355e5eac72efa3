/**
 * Shared helpers of the fault tests (test/faults): a real gateway process on a free port, reader
 * clients (WebSocket and REST /consume loops) that record every (topic, partition, offset) they
 * receive, a rate-controlled producer of real alerts from data/alerts, /proc sampling of a
 * process (RSS, threads, open file descriptors), Prometheus gauges, and the figures each fault
 * test prints and appends to test-results/reliability.json (one JSON object per line).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import rdkafka from 'node-rdkafka'
import WebSocket from 'ws'
import { readAvroFile } from '../../src/avro/index.js'
import { KAFKA_BROKERS } from './app.js'
import { loadConfig } from '../../src/config.js'
import { FETCH_MAX_BYTES } from '../../src/kafka/consumer-options.js'

export const root = join(import.meta.dirname, '..', '..')
export const ZTF_FILES = ['ZTF19acihgng.avro', 'ZTF19acxxwrs.avro', 'ZTF19acyfkzd.avro', 'ZTF19acyjzeo.avro']
  .map((f) => join(root, 'data', 'alerts', f))

/**
 * glibc keeps freed memory for reuse: with its default dynamic mmap threshold, large freed
 * buffers (librdkafka fetch buffers, up to CONSUMER_QUEUE_KBYTES per consumer) stay in the
 * process, and RSS then measures the allocator's cache rather than what the gateway retains. A
 * fixed mmap threshold returns large freed buffers to the system at once, so the memory figures
 * of the fault tests show retention (RELIABILITY.md has figures with and without).
 */
export const ALLOCATOR_ENV = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '2' }

/**
 * Native memory that the configuration lets librdkafka use for one consumer: its prefetch queue
 * (CONSUMER_QUEUE_KBYTES, default) and one fetch response in flight (fetch.max.bytes). Freed
 * fetch buffers can stay mapped in glibc's arenas even with ALLOCATOR_ENV, so RSS differences
 * are judged against this budget (bounded memory), while the JS heap after a full GC, threads
 * and descriptors are the leak checks proper.
 */
export function nativeBudgetMB (consumers: number): number {
  const queueBytes = loadConfig({}).CONSUMER_QUEUE_KBYTES * 1024
  return consumers * (queueBytes + FETCH_MAX_BYTES) / (1024 * 1024)
}

/** Prints one compact JSON line of figures and appends it to test-results/reliability.json. */
export function reportFigures (test: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ test, at: new Date().toISOString(), ...figures })
  console.log(line)
  mkdirSync(join(root, 'test-results'), { recursive: true })
  appendFileSync(join(root, 'test-results', 'reliability.json'), line + '\n')
}

export async function waitFor (what: string, done: () => boolean | Promise<boolean>, ms: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

// --- the gateway process --------------------------------------------------------------------

export interface Gateway {
  port: number
  pid: number
  child: ChildProcess
  output: () => string
  /** The first 20 kB of its output (the start-up lines). */
  head: () => string
  exited: Promise<number | null>
}

/** `node --import tsx src/server.ts` on a free port, ready (Kafka reachable) when this returns. */
export async function spawnGateway (t: TestContext, env: Record<string, string> = {}, opts: { inspect?: boolean } = {}): Promise<Gateway> {
  let output = ''
  // --inspect: the tests can make the gateway collect garbage before reading its memory
  const inspect = opts.inspect === true ? ['--inspect=127.0.0.1:0'] : []
  const child = spawn(process.execPath, [...inspect, '--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MAX_SESSIONS: '2000',
      MAX_SESSIONS_PER_PRINCIPAL: '2000',
      RATE_LIMIT_PER_SECOND: '100000',
      UV_THREADPOOL_SIZE: '16',
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // keep only the tail: an hour of request logs must not fill the test's memory
  let head = ''
  const keep = (chunk: Buffer): void => {
    if (head.length < 20_000) head += chunk.toString()
    output = (output + chunk.toString()).slice(-200_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const listening = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/
  await waitFor('the gateway to listen', () => listening.test(output) || child.exitCode !== null, 30000)
  if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}: ${output.slice(-2000)}`)
  const port = Number(listening.exec(output)?.[1])
  await waitFor('the gateway to reach Kafka', () => output.includes('"msg":"kafka reachable"'), 20000)
  return { port, pid: child.pid as number, child, output: () => output, head: () => head, exited }
}

/**
 * A full garbage collection in the gateway (spawned with inspect: true), through the inspector
 * protocol: memory figures then show what is retained, not what V8 has not collected yet.
 */
export async function collectGarbage (gw: Gateway): Promise<{ heapUsedMB: number }> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(gw.head())?.[1]
  if (url === undefined) throw new Error('the gateway was not spawned with inspect: true')
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  try {
    const call = async (id: number, method: string): Promise<Record<string, number>> => await new Promise((resolve) => {
      const onMessage = (data: Buffer): void => {
        const answer = JSON.parse(data.toString()) as { id?: number, result?: Record<string, number> }
        if (answer.id === id) { ws.off('message', onMessage); resolve(answer.result ?? {}) }
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ id, method }))
    })
    await call(1, 'HeapProfiler.collectGarbage')
    await call(2, 'HeapProfiler.collectGarbage')
    const usage = await call(3, 'Runtime.getHeapUsage')
    return { heapUsedMB: Math.round((usage.usedSize ?? NaN) / 104857.6) / 10 }
  } finally {
    ws.close()
  }
}

// --- HTTP ------------------------------------------------------------------------------------

export interface HttpAnswer { status: number, body: string, error?: string }

/** One GET (a fresh connection each time); network failures are answers too (status 0). */
export async function get (port: number, path: string, opts: { timeoutMs?: number, method?: string, headers?: Record<string, string>, stream?: boolean } = {}): Promise<HttpAnswer> {
  return await new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      // stream: a 200 is a stream that does not end (SSE): its status is the answer
      if (opts.stream === true && res.statusCode === 200) { req.destroy(); resolve({ status: 200, body: '' }); return }
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }) })
      res.on('error', (err) => { resolve({ status: 0, body: '', error: err.message }) })
    })
    req.setTimeout(opts.timeoutMs ?? 120000, () => { req.destroy(new Error('client timeout')) })
    req.on('error', (err: NodeJS.ErrnoException) => { resolve({ status: 0, body: '', error: err.code ?? err.message }) })
    req.end()
  })
}

/** A gauge or counter value from the gateway's /metrics (sum over series matching `labels`). */
export async function metric (port: number, name: string, labels = ''): Promise<number> {
  const { body } = await get(port, '/metrics')
  let sum = 0
  for (const line of body.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^(\w+)(\{[^}]*\})? ([\d.eE+-]+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    if (labels !== '' && !(m[2] ?? '').includes(labels)) continue
    sum += Number(m[3])
  }
  return sum
}

export interface PartitionOffsets { partition: number, committed: number | null, low: number, high: number, lag: number }

export async function topicOffsets (port: number, topic: string, groupId?: string): Promise<PartitionOffsets[]> {
  const q = groupId !== undefined ? `?group_id=${encodeURIComponent(groupId)}` : ''
  const answer = await get(port, `/topics/${topic}/offsets${q}`)
  if (answer.status !== 200) throw new Error(`offsets of ${topic}: ${answer.status} ${answer.body}`)
  return (JSON.parse(answer.body) as { partitions: PartitionOffsets[] }).partitions
}

// --- /proc -----------------------------------------------------------------------------------

export interface ProcSample { rssMB: number, threads: number, fds: number }

export function procSample (pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return {
    rssMB: Math.round(field('VmRSS') / 102.4) / 10,
    threads: field('Threads'),
    fds: readdirSync(`/proc/${pid}/fd`).length
  }
}

/** Median of `n` samples taken `everyMs` apart: one GC or allocation burst does not decide. */
export async function steadySample (pid: number, n = 5, everyMs = 1000): Promise<ProcSample> {
  const samples: ProcSample[] = []
  for (let i = 0; i < n; i++) {
    samples.push(procSample(pid))
    if (i < n - 1) await sleep(everyMs)
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  return {
    rssMB: median(samples.map((s) => s.rssMB)),
    threads: median(samples.map((s) => s.threads)),
    fds: median(samples.map((s) => s.fds))
  }
}

// --- what readers received --------------------------------------------------------------------

/** Every (partition, offset) one consumer group received, with how often and when first. */
export class Received {
  readonly counts = new Map<string, number>()
  readonly firstAt = new Map<string, number>()
  total = 0
  errorItems = 0
  lastAt = 0

  add (item: { topic: string, partition: number, offset: number, error?: unknown }): void {
    const key = `${item.topic}/${item.partition}/${item.offset}`
    const now = Date.now()
    const n = this.counts.get(key) ?? 0
    if (n === 0) this.firstAt.set(key, now)
    this.counts.set(key, n + 1)
    this.total++
    this.lastAt = now
    if (item.error !== undefined && item.error !== null) this.errorItems++
  }

  has (topic: string, partition: number, offset: number): boolean { return this.counts.has(`${topic}/${partition}/${offset}`) }

  /** Offsets received more than once: key → times. */
  duplicates (): Array<{ topic: string, partition: number, offset: number, times: number }> {
    const out = []
    for (const [key, times] of this.counts) {
      if (times < 2) continue
      const [topic, partition, offset] = key.split('/') as [string, string, string]
      out.push({ topic, partition: Number(partition), offset: Number(offset), times })
    }
    return out
  }

  /** Offsets in [low, high) of each partition that never arrived. */
  missing (topic: string, partitions: ReadonlyArray<{ partition: number, low: number, high: number }>): string[] {
    const out: string[] = []
    for (const p of partitions) {
      for (let o = p.low; o < p.high; o++) if (!this.has(topic, p.partition, o)) out.push(`${p.partition}/${o}`)
    }
    return out
  }
}

/** The item members a reader needs, without parsing a 70 kB alert. */
function itemHead (text: string): { topic: string, partition: number, offset: number, error?: unknown } {
  const parsed = JSON.parse(text) as { topic: string, partition: number, offset: number, error?: unknown }
  return parsed
}

export interface WsReaderOptions {
  port: number
  query: string
  received: Received
  /** Called for every alert frame (e.g. to ack, or to count a rate). */
  onAlert?: (item: { topic: string, partition: number, offset: number }, ws: WebSocket) => void
}

/** A WebSocket client recording every alert frame into `received`. Resolves once open. */
export class WsReader {
  readonly ws: WebSocket
  closeCode: number | null = null
  frames = 0
  errors: string[] = []
  readonly closed: Promise<number>

  constructor (private readonly opts: WsReaderOptions) {
    this.ws = new WebSocket(`ws://127.0.0.1:${opts.port}/ws?${opts.query}`, { perMessageDeflate: false })
    this.closed = new Promise((resolve) => { this.ws.on('close', (code) => { this.closeCode = code; resolve(code) }) })
    this.ws.on('error', (err) => { this.errors.push(err.message) })
    this.ws.on('message', (data) => {
      this.frames++
      const text = data.toString()
      if (text.startsWith('{"type":"alert"')) {
        const item = itemHead(text)
        opts.received.add(item)
        opts.onAlert?.(item, this.ws)
      } else if (text.startsWith('{"type":"error"')) {
        this.errors.push(text.slice(0, 300))
      }
    })
  }

  async opened (ms = 20000): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('websocket did not open')) }, ms)
      this.ws.once('open', () => { clearTimeout(timer); resolve() })
      this.ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`upgrade refused: ${res.statusCode ?? 0}`)) })
      this.ws.once('error', (err) => { clearTimeout(timer); reject(err) })
    })
  }

  async close (): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.ws.close(1000)
    await Promise.race([this.closed, sleep(10000)])
    if ((this.ws.readyState as number) !== WebSocket.CLOSED) this.ws.terminate()
  }
}

/** A loop of GET /consume on one REST session, recording every item; stop() ends it. */
export class RestReader {
  private stopped = false
  readonly statuses = new Map<number, number>()
  readonly done: Promise<void>

  constructor (port: number, query: string, received: Received, pauseMs = 0) {
    this.done = (async () => {
      while (!this.stopped) {
        const answer = await get(port, `/consume?${query}`)
        this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1)
        if (answer.status === 200) {
          for (const item of (JSON.parse(answer.body) as { alerts: Array<{ topic: string, partition: number, offset: number }> }).alerts) received.add(item)
          if (pauseMs > 0) await sleep(pauseMs)
        } else {
          await sleep(500)
        }
      }
    })()
  }

  async stop (): Promise<void> {
    this.stopped = true
    await this.done
  }
}

// --- producing real alerts ---------------------------------------------------------------------

export interface AlertMessage { value: Buffer, key: Buffer }

/** The real alerts of these files in Fink's wire format (schemaless body, key = schema JSON). */
export async function loadAlerts (paths = ZTF_FILES): Promise<AlertMessage[]> {
  const out: AlertMessage[] = []
  for (const path of paths) {
    const { schemaText, records } = await readAvroFile(path)
    for (const value of records) out.push({ value, key: Buffer.from(schemaText) })
  }
  return out
}

/**
 * Produces alerts at `rate` per second (cycling through `messages`) until stop(). Keeps going
 * while the broker is down: librdkafka queues and retries (message.timeout.ms 5 min); errors
 * of the connection are expected then and only counted.
 */
export class RateProducer {
  private readonly producer: rdkafka.Producer
  private timer: NodeJS.Timeout | null = null
  sent = 0
  delivered = 0
  failed = 0
  connectionErrors = 0

  constructor (private readonly topic: string, private readonly messages: readonly AlertMessage[], private readonly partitions = 1) {
    this.producer = new rdkafka.Producer({
      'bootstrap.servers': KAFKA_BROKERS,
      dr_cb: true,
      'linger.ms': 5,
      'message.max.bytes': 16 * 1024 * 1024,
      'queue.buffering.max.kbytes': 512 * 1024
    }, { 'message.timeout.ms': 300000 })
    this.producer.on('delivery-report', (err) => { if (err !== null && err !== undefined) this.failed++; else this.delivered++ })
    this.producer.on('event.error', () => { this.connectionErrors++ })
  }

  /** `limit`: stop after that many messages. */
  async start (rate: number, limit = Infinity): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.producer.connect({ timeout: 15000 }, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
    })
    this.producer.setPollInterval(20)
    const began = Date.now()
    const tickMs = 20
    this.timer = setInterval(() => {
      const due = Math.min(limit, Math.floor(((Date.now() - began) / 1000) * rate))
      while (this.sent < due) {
        const m = this.messages[this.sent % this.messages.length] as AlertMessage
        try {
          this.producer.produce(this.topic, this.sent % this.partitions, m.value, m.key, Date.now())
          this.sent++
        } catch {
          break // local queue full: try again next tick
        }
      }
    }, tickMs)
  }

  /** Stops producing and waits until every message sent was delivered (or failed). */
  async stop (ms = 120000): Promise<{ sent: number, delivered: number, failed: number }> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    await waitFor('the producer to be acknowledged', () => this.delivered + this.failed >= this.sent, ms)
    this.producer.setPollInterval(0)
    await new Promise<void>((resolve) => { this.producer.disconnect(() => { resolve() }) })
    return { sent: this.sent, delivered: this.delivered, failed: this.failed }
  }
}

/** Produces these messages once, waits for every acknowledgement. */
export async function produceAll (topic: string, messages: readonly AlertMessage[], partitions = 1): Promise<void> {
  const p = new RateProducer(topic, messages, partitions)
  await p.start(100000, messages.length)
  await waitFor('every message to be queued', () => p.sent >= messages.length, 60000, 20)
  const result = await p.stop()
  if (result.failed > 0) throw new Error(`${result.failed} messages not delivered`)
}
