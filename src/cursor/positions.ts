import { CursorError } from './cursor-error.js'

/** Per topic, per partition: the offset of the next alert to read. */
export type Positions = Map<string, Map<number, number>>

/** Kafka's own rule for topic names. */
export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/
export const MAX_PARTITION = 2 ** 31 - 1

export function checkTopic (topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic)) throw new CursorError(`invalid topic name ${JSON.stringify(topic)}`)
}

/** Partition and offset only: the topic name is checked once per topic by the callers that loop. */
export function checkPartitionOffset (topic: string, partition: number, offset: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    throw new CursorError(`invalid partition ${String(partition)} for topic ${topic}`)
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new CursorError(`invalid offset ${String(offset)} for ${topic}/${partition}`)
  }
}

export function checkPosition (topic: string, partition: number, offset: number): void {
  checkTopic(topic)
  checkPartitionOffset(topic, partition, offset)
}

/**
 * Records that the alert at `offset` was delivered: the partition's next offset becomes
 * `offset + 1`, never moving back (a redelivered older alert leaves it where it is).
 * Mutates `positions` and returns it.
 */
export function advance (positions: Positions, topic: string, partition: number, offset: number): Positions {
  checkPosition(topic, partition, offset + 1)
  let partitions = positions.get(topic)
  if (partitions === undefined) {
    partitions = new Map()
    positions.set(topic, partitions)
  }
  const current = partitions.get(partition)
  if (current === undefined || offset + 1 > current) partitions.set(partition, offset + 1)
  return positions
}

/** Sets a partition's next offset as given (a new assignment, a seek), backwards included. */
export function setPosition (positions: Positions, topic: string, partition: number, nextOffset: number): Positions {
  checkPosition(topic, partition, nextOffset)
  let partitions = positions.get(topic)
  if (partitions === undefined) {
    partitions = new Map()
    positions.set(topic, partitions)
  }
  partitions.set(partition, nextOffset)
  return positions
}

export function nextOffset (positions: Positions, topic: string, partition: number): number | undefined {
  return positions.get(topic)?.get(partition)
}

export function clonePositions (positions: Positions): Positions {
  return new Map([...positions].map(([topic, partitions]) => [topic, new Map(partitions)]))
}

/** Flat list, sorted by topic then partition: the shape of node-rdkafka's `assign()` argument. */
export function toTopicPartitionOffsets (positions: Positions): Array<{ topic: string, partition: number, offset: number }> {
  const list: Array<{ topic: string, partition: number, offset: number }> = []
  for (const topic of [...positions.keys()].sort()) {
    const partitions = positions.get(topic) as Map<number, number>
    for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
      list.push({ topic, partition, offset: partitions.get(partition) as number })
    }
  }
  return list
}

/**
 * Positions from a node-rdkafka style list (`consumer.position()`, an assignment): entries whose
 * offset is not a real one (undefined, or librdkafka's negative logical offsets) are left out.
 */
export function fromTopicPartitionOffsets (list: ReadonlyArray<{ topic: string, partition: number, offset?: number | undefined }>): Positions {
  const positions: Positions = new Map()
  for (const { topic, partition, offset } of list) {
    if (offset === undefined || offset < 0) continue
    setPosition(positions, topic, partition, offset)
  }
  return positions
}

/** Throws CursorError when the cursor names a topic the request did not ask for. */
export function assertCursorTopics (positions: Positions, topics: readonly string[]): void {
  const requested = new Set(topics)
  const extra = [...positions.keys()].filter((topic) => !requested.has(topic))
  if (extra.length > 0) {
    throw new CursorError(`the cursor is for topic(s) ${extra.join(', ')}, which are not in topics=${topics.join(',')}`)
  }
}
