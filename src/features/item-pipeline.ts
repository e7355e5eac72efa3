/**
 * What becomes of each Kafka record of a client session, for every transport:
 *
 * - `until`: a record later than `until` is "held" — neither delivered nor committed — and its
 *   partition is finished (later records of a partition are later in Kafka order too, as
 *   producers write them; one late record is enough to finish it).
 * - `filter`: a record whose decoded alert does not match is "filtered": not sent, but
 *   delivered for commit purposes (the offsets advance past it), and counted.
 * - every sent item carries `"cursor"`: the session's next offset per partition after it,
 *   spliced into the item's JSON text (the alert is never re-serialised).
 * - `format=avro`: `value` (base64 of the exact Kafka value bytes) and `schema` instead of
 *   `alert`; for binary transports a frame: 4-byte big-endian header length, the header JSON
 *   ({topic, partition, offset, timestamp, key, schema, cursor}), then the raw value bytes.
 *
 * A record that cannot be decoded is sent as the contract's error item (filters do not apply
 * to it: the client learns that something could not be read).
 */
import { DecodeError, itemJson, type DecodedAlert, type ItemOptions } from '../avro/index.js'
import { advance, clonePositions, encodeCursor, setPosition, type Positions } from '../cursor/index.js'
import type { Decoding } from '../plugins/decoder.js'
import type { GatewayMetrics } from '../metrics.js'
import type { ClientSession, SessionRecord } from '../kafka/session.js'
import type { FeatureParams } from './params.js'

export type Outcome =
  | { kind: 'send', record: SessionRecord, item: string | Buffer }
  | { kind: 'filtered', record: SessionRecord }
  | { kind: 'held', record: SessionRecord }

export interface PipelineOptions {
  decoding: Decoding
  metrics: GatewayMetrics
  item: ItemOptions
  features: FeatureParams
  /** format=avro as binary frames (WebSocket) rather than JSON with base64. */
  binary?: boolean
  /** Where the session stands already (a REST session kept between requests). */
  sessionPositions?: ReadonlyArray<{ topic: string, partition: number, next: number }>
}

const tpKey = (topic: string, partition: number): string => `${partition}\u0000${topic}`

/** The JSON header of a binary (format=avro) frame, as UTF-8 bytes. */
function binaryFrame (header: string, value: Buffer): Buffer {
  const head = Buffer.from(header, 'utf8')
  const frame = Buffer.allocUnsafe(4 + head.length + value.length)
  frame.writeUInt32BE(head.length, 0)
  head.copy(frame, 4)
  value.copy(frame, 4 + head.length)
  return frame
}

/** `{…}` + `,"cursor":"…"` before the closing brace: the cursor is base64url, no escaping needed. */
function withCursor (json: string, cursor: string): string {
  return `${json.slice(0, -1)},"cursor":"${cursor}"}`
}

export class ItemPipeline {
  /** Next offset per partition after everything processed (sent or filtered). */
  readonly positions: Positions
  /** Partitions that passed `until` (topic/partition keys). */
  private readonly finished = new Set<string>()
  readonly stats = { filtered: 0, held: 0, sent: 0 }

  constructor (private readonly opts: PipelineOptions) {
    this.positions = opts.features.resume !== undefined ? clonePositions(opts.features.resume) : new Map()
    for (const p of opts.sessionPositions ?? []) setPosition(this.positions, p.topic, p.partition, p.next)
  }

  /** The cursor of where the session stands now. */
  cursor (): string { return encodeCursor(this.positions) }

  isFinished (topic: string, partition: number): boolean { return this.finished.has(tpKey(topic, partition)) }

  async process (records: readonly SessionRecord[]): Promise<Outcome[]> {
    const out: Outcome[] = new Array(records.length)
    for (let i = 0; i < records.length; i++) out[i] = await this.one(records[i] as SessionRecord)
    return out
  }

  private async one (record: SessionRecord): Promise<Outcome> {
    const { features, decoding, metrics } = this.opts
    const key = tpKey(record.topic, record.partition)
    if (features.until !== null) {
      if (this.finished.has(key)) { this.stats.held++; return { kind: 'held', record } }
      if (record.timestamp !== undefined && record.timestamp > features.until) {
        this.finished.add(key)
        this.stats.held++
        return { kind: 'held', record }
      }
    }
    let decoded: DecodedAlert | null = null
    try {
      decoded = await decoding.decoder.decode(record)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
    }
    if (decoded !== null && features.filter !== null && !features.filter(decoded.alert)) {
      advance(this.positions, record.topic, record.partition, record.offset)
      this.stats.filtered++
      metrics.alertsFilteredTotal.inc({ topic: record.topic })
      return { kind: 'filtered', record }
    }
    advance(this.positions, record.topic, record.partition, record.offset)
    const cursor = encodeCursor(this.positions)
    this.stats.sent++
    // An undecodable record: the decoding plugin writes (and counts, and logs) its error item.
    if (decoded === null) return { kind: 'send', record, item: withCursor(await decoding.item(record, this.opts.item), cursor) }
    if (features.format === 'json') return { kind: 'send', record, item: withCursor(itemJson(decoded, this.opts.item), cursor) }
    const value = record.value ?? Buffer.alloc(0)
    const head = `{"topic":${JSON.stringify(record.topic)},"partition":${record.partition},"offset":${record.offset},"timestamp":${record.timestamp ?? 'null'},"key":${decoded.key === null ? 'null' : JSON.stringify(decoded.key)},"schema":"${decoded.schema.id}"`
    if (this.opts.binary === true) return { kind: 'send', record, item: binaryFrame(`${head},"cursor":"${cursor}"}`, value) }
    return { kind: 'send', record, item: `${head},"value":"${value.toString('base64')}","cursor":"${cursor}"}` }
  }

  /**
   * With `until`: true once every assigned partition is finished — it passed `until`, or it is
   * empty, or it is read up to its high watermark and `until` is in the past (no alert at or
   * before `until` can still arrive, producer clocks being about right).
   */
  async untilReached (session: ClientSession): Promise<boolean> {
    const until = this.opts.features.until
    if (until === null) return false
    const assigned = session.assignedPartitions()
    if (assigned.length === 0) return false
    if (assigned.every((tp) => this.finished.has(tpKey(tp.topic, tp.partition)))) return true
    const lags = await session.lag()
    const past = Date.now() > until
    return assigned.every((tp) => {
      if (this.finished.has(tpKey(tp.topic, tp.partition))) return true
      const lag = lags.find((l) => l.topic === tp.topic && l.partition === tp.partition)
      if (lag === undefined) return false
      const next = this.positions.get(tp.topic)?.get(tp.partition) ?? lag.next ?? lag.low
      return past && next >= lag.high
    })
  }
}
