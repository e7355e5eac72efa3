/**
 * The transport-independent loop of a streaming client session (WebSocket now, SSE later):
 *
 *   const pump = new StreamPump({ session, sink, items, config, metrics, registry, ack, transport,
 *                                 onStalled, onError })
 *   pump.start()      // runs until stop() or the sink closes; resolves when the loop has ended
 *   pump.stop()       // idempotent: ends the loop and its timers (the caller closes the session)
 *   pump.stats        // sent, pauses, maxBufferedAmount
 *
 * What it does: pulls from the session only while the sink's buffered bytes are under
 * `maxBufferedBytes`, sizing each pull to the room left (so the buffer exceeds the bound by at
 * most about one item); turns records into item JSON with `items`; hands each to the sink and,
 * once the sink reports it written, marks it delivered (ack=auto: committed about once a
 * second; ack=manual: only remembered, the transport calls session.acknowledge()). A sink
 * above the bound for `stallMs` ends the loop through `onStalled` (the transport says where the
 * client stopped and closes). Status: "started" with the assigned partitions once the group
 * has assigned them, then "streaming" with the lag per topic and `caught_up` about every 5 s.
 */
import type { Config } from '../config.js'
import type { GatewayMetrics } from '../metrics.js'
import type { ClientSession, SessionRecord, Transport } from './session.js'
import type { SessionRegistry } from './session-registry.js'

const STATUS_EVERY_MS = 5000
const COMMIT_EVERY_MS = 1000
const BACKPRESSURE_CHECK_MS = 25
const PULL_WAIT_MS = 250
const MAX_BATCH = 100
const MIN_ITEM_BYTES_GUESS = 1024

/** Where a streaming transport writes: a WebSocket, an SSE response… */
export interface StreamSink {
  /** False once the client is gone or the transport is closing. */
  readonly open: boolean
  /** Bytes accepted but not yet handed to the operating system. */
  readonly bufferedAmount: number
  /** Writes one item (its JSON text, or a binary frame); `written` is called once it is flushed or failed. Returns its size in bytes. */
  sendItem: (item: string | Buffer, written: (err?: Error | null) => void) => number
  sendStatus: (status: Record<string, unknown>) => void
}

export interface StreamPumpOptions {
  session: ClientSession
  sink: StreamSink
  /**
   * What to send for each record, in order (decode errors become error items): an item, or
   * `FILTERED` (not sent, delivered for commit purposes), or `HELD` (neither sent nor delivered).
   */
  items: (records: readonly SessionRecord[]) => Promise<PumpItem[]>
  /** Asked about twice a second: true ends the loop (bounded replay done), then onFinished is called. */
  isFinished?: () => Promise<boolean>
  onFinished?: () => void
  config: Pick<Config, 'WS_MAX_BUFFERED_BYTES' | 'WS_STALL_SECONDS'>
  metrics: GatewayMetrics
  registry: Pick<SessionRegistry, 'reportLag'>
  transport: Exclude<Transport, 'rest'>
  ack: 'auto' | 'manual'
  /** The client's group, shown in the "started" status (null for a throw-away group). */
  groupId: string | null
  /** The sink stayed above the bound for WS_STALL_SECONDS; the loop has stopped. */
  onStalled: () => void
  /** Reading from Kafka failed; the loop has stopped. */
  onError: (err: unknown) => void
}

export const FILTERED = Symbol('filtered')
export const HELD = Symbol('held')
export type PumpItem = string | Buffer | typeof FILTERED | typeof HELD

const FINISHED_CHECK_MS = 500

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export class StreamPump {
  private stopped = false
  private readonly timers: NodeJS.Timeout[] = []
  private avgItemBytes = 64 * 1024
  private stalledSince: number | null = null
  private done: Promise<void> = Promise.resolve()
  caughtUp = false
  readonly stats = { sent: 0, filtered: 0, maxBufferedAmount: 0, pauses: 0 }
  private finishedCheckedAt = 0
  /** Items handed to the sink and not yet reported written. */
  private writing = 0
  /** Filtered-out records read after items still being written: delivered once those are. */
  private readonly filteredAfterWrites: SessionRecord[] = []

  constructor (private readonly opts: StreamPumpOptions) {}

  start (): Promise<void> {
    const { session } = this.opts
    this.every(STATUS_EVERY_MS, () => { this.sendProgress().catch(() => {}) })
    if (this.opts.ack === 'auto') this.every(COMMIT_EVERY_MS, () => { session.commitDelivered() })
    this.done = this.run().catch((err: unknown) => {
      if (this.running) {
        this.stop()
        this.opts.onError(err)
      }
    })
    return this.done
  }

  /** Ends the loop and its timers; the promise of start() resolves once a pull in progress returns. */
  stop (): void {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers.length = 0
  }

  private get running (): boolean { return !this.stopped && this.opts.sink.open }

  private every (ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms)
    timer.unref()
    this.timers.push(timer)
  }

  private async run (): Promise<void> {
    const { session, sink, config, metrics, transport } = this.opts
    const bound = config.WS_MAX_BUFFERED_BYTES
    let announced = false
    // "started" goes before the first alert: the assignment happens inside a pull.
    const announce = (): void => {
      if (announced || session.assignedPartitions().length === 0) return
      announced = true
      sink.sendStatus({ state: 'started', group_id: this.opts.groupId, ack: this.opts.ack, partitions: session.assignedPartitions() })
    }
    while (this.running) {
      announce()
      const buffered = sink.bufferedAmount
      if (buffered > this.stats.maxBufferedAmount) this.stats.maxBufferedAmount = buffered
      if (buffered > bound) {
        const now = Date.now()
        if (this.stalledSince === null) {
          this.stalledSince = now
          this.stats.pauses++
          metrics.backpressurePausesTotal.inc({ transport })
        } else if (now - this.stalledSince > config.WS_STALL_SECONDS * 1000) {
          metrics.slowClientClosesTotal.inc({ transport })
          this.stop()
          this.opts.onStalled()
          return
        }
        await sleep(BACKPRESSURE_CHECK_MS)
        continue
      }
      this.stalledSince = null
      const room = Math.floor((bound - buffered) / this.avgItemBytes)
      // A live stream sends what is there at once rather than waiting to fill a batch (latency).
      const records = await session.pull(Math.max(1, Math.min(MAX_BATCH, room)), Date.now() + PULL_WAIT_MS, undefined, Infinity, true)
      if (this.running) announce()
      if (records.length > 0) await this.sendAll(records)
      if (await this.finished()) return
    }
  }

  private async finished (): Promise<boolean> {
    const { isFinished } = this.opts
    if (isFinished === undefined || !this.running || Date.now() - this.finishedCheckedAt < FINISHED_CHECK_MS) return false
    this.finishedCheckedAt = Date.now()
    if (!await isFinished() || !this.running) return false
    this.stop()
    this.opts.onFinished?.()
    return true
  }

  private async sendAll (records: readonly SessionRecord[]): Promise<void> {
    const { session, sink, metrics, transport } = this.opts
    const items = await this.opts.items(records)
    const commit = this.opts.ack === 'auto' ? 'later' : 'never'
    for (let i = 0; i < records.length; i++) {
      // Records not handed to the sink are not delivered: never committed, they come again to the group.
      if (!this.running) return
      const record = records[i] as SessionRecord
      const item = items[i] as PumpItem
      if (item === HELD) continue
      if (item === FILTERED) {
        // Committing it must not commit past items still being written: it waits for them.
        if (this.writing === 0) session.delivered([record], commit); else this.filteredAfterWrites.push(record)
        this.stats.filtered++
        continue
      }
      let bytes = 0
      this.writing++
      bytes = sink.sendItem(item, (err) => {
        this.writing--
        if (err !== undefined && err !== null) { this.filteredAfterWrites.length = 0; return }
        session.delivered([record], commit)
        if (this.writing === 0 && this.filteredAfterWrites.length > 0) session.delivered(this.filteredAfterWrites.splice(0), commit)
        this.stats.sent++
        metrics.alertsDeliveredTotal.inc({ transport, topic: record.topic })
        metrics.bytesSentTotal.inc({ transport }, bytes)
      })
      this.avgItemBytes = Math.max(MIN_ITEM_BYTES_GUESS, this.avgItemBytes * 0.8 + bytes * 0.2)
    }
  }

  private async sendProgress (): Promise<void> {
    const { session, sink } = this.opts
    if (!this.running) return
    const partitions = await session.lag()
    if (!this.running || partitions.length === 0) return
    const lag: Record<string, number> = {}
    for (const p of partitions) lag[p.topic] = (lag[p.topic] ?? 0) + p.lag
    this.caughtUp = partitions.every((p) => p.lag === 0)
    this.opts.registry.reportLag(session, new Map(Object.entries(lag)))
    sink.sendStatus({ state: 'streaming', lag, caught_up: this.caughtUp, sent: this.stats.sent, filtered: this.stats.filtered })
  }
}
