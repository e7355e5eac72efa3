/**
 * Retention gaps: a resume point (a cursor, a group's committed offset) that Kafka no longer
 * holds, because retention deleted the alerts before it was read. The client is told how many
 * alerts it lost instead of silently jumping ahead.
 */
import type { Positions } from './positions.js'

export interface RetentionGap {
  topic: string
  partition: number
  /** The next offset the client asked for. */
  requested: number
  /** The partition's low watermark: its oldest offset still held. */
  low: number
  /** Alerts deleted before they were read: `low - requested`. */
  lost: number
}

/**
 * Alerts lost between a requested next offset and the partition's low watermark; 0 when nothing
 * was lost or when either is not a real offset (librdkafka's negative logical offsets).
 */
export function alertsLost (requestedNext: number, lowWatermark: number): number {
  if (!Number.isSafeInteger(requestedNext) || !Number.isSafeInteger(lowWatermark)) return 0
  if (requestedNext < 0 || lowWatermark < 0) return 0
  return requestedNext < lowWatermark ? lowWatermark - requestedNext : 0
}

/** The partitions of `requested` whose next offset lies before the low watermark, sorted. */
export function retentionGaps (requested: Positions, lowWatermarks: Positions): RetentionGap[] {
  const gaps: RetentionGap[] = []
  for (const topic of [...requested.keys()].sort()) {
    const partitions = requested.get(topic) as Map<number, number>
    for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
      const low = lowWatermarks.get(topic)?.get(partition)
      if (low === undefined) continue
      const wanted = partitions.get(partition) as number
      const lost = alertsLost(wanted, low)
      if (lost > 0) gaps.push({ topic, partition, requested: wanted, low, lost })
    }
  }
  return gaps
}
