/**
 * A REST answer with the features: pulls until `want` items are there to send (filtered-out
 * alerts do not count), or the deadline, or the byte bound, or — with `until` — every assigned
 * partition is finished.
 *
 * The caller marks `deliver` (sent and filtered records) delivered once the response is
 * written, and gives `putBack` (held records after `until`, and records pulled beyond `want`)
 * back to the session with redeliver() at once, so that they come again (or never count).
 */
import type { ClientSession, SessionRecord } from '../kafka/session.js'
import type { ItemPipeline, Outcome } from './item-pipeline.js'

/** With a filter, pulls ask for at least this many records (most may be filtered out). */
const FILTERED_PULL = 50
const BOUNDED_PULL_MS = 500

export interface Collected {
  items: string[]
  /** Records sent or filtered: delivered (committed) once the response is written. */
  deliver: SessionRecord[]
  /** The records of `items`, in order. */
  sent: SessionRecord[]
  /** Records not to deliver now: seek back to them. */
  putBack: SessionRecord[]
  endOfStream: boolean
}

export async function collectItems (session: ClientSession, pipeline: ItemPipeline, opts: {
  want: number
  deadline: number
  signal: AbortSignal
  maxBytes: number
  filtering: boolean
  bounded: boolean
}): Promise<Collected> {
  const out: Collected = { items: [], deliver: [], sent: [], putBack: [], endOfStream: false }
  let bytes = 0
  while (out.items.length < opts.want && bytes < opts.maxBytes && !opts.signal.aborted && Date.now() < opts.deadline) {
    const left = opts.want - out.items.length
    // Bounded replay: short pulls, so that the end is noticed soon after it is reached.
    const until = opts.bounded ? Math.min(opts.deadline, Date.now() + BOUNDED_PULL_MS) : opts.deadline
    const records = await session.pull(opts.filtering ? Math.max(left, FILTERED_PULL) : left, until, opts.signal, opts.maxBytes - bytes)
    for (const record of records) {
      bytes += record.size
      // Past num_alerts: not looked at (nor counted as filtered), it comes again next time.
      if (out.items.length >= opts.want) { out.putBack.push(record); continue }
      const [o] = await pipeline.process([record]) as [Outcome]
      if (o.kind === 'held') { out.putBack.push(o.record); continue }
      out.deliver.push(o.record)
      if (o.kind === 'send') { out.items.push(o.item as string); out.sent.push(o.record) }
    }
    if (opts.bounded && await pipeline.untilReached(session)) {
      out.endOfStream = true
      break
    }
  }
  return out
}
