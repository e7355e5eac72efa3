/**
 * Resume cursors: an opaque base64url string that says, per topic and partition, which offset to
 * read next. Any gateway instance can resume from it; no server state is involved.
 *
 * Binary layout (version 1), all integers unsigned LEB128 varints:
 *   version(=1) topicCount { nameLength nameUtf8 partitionCount { partitionDelta offset } }
 * Topics are in ascending order of name, partitions in ascending order; a partition is written as
 * its distance from the previous one minus one (the first one as is). Exactly one encoding per
 * set of positions: decoding rejects anything else.
 */
import { CursorError } from './cursor-error.js'
import { checkPartitionOffset, checkTopic, type Positions } from './positions.js'

export const CURSOR_VERSION = 1

export const CURSOR_LIMITS = {
  /** Longest cursor text accepted or produced (fits an HTTP header and a URL comfortably). */
  maxLength: 4096,
  maxTopics: 64,
  /** Partitions over all topics. */
  maxPartitions: 1024
} as const

const BASE64URL = /^[A-Za-z0-9_-]*$/
const MAX_VARINT_BYTES = 8 // 56 bits: more than Number.MAX_SAFE_INTEGER needs

/** Writes into a buffer sized for the worst case up front (varints take at most 8 bytes here). */
class Writer {
  private readonly buffer: Buffer
  private length = 0

  constructor (capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity)
  }

  varint (value: number): void {
    let rest = value
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    this.buffer[this.length++] = rest
  }

  ascii (text: string): void {
    this.length += this.buffer.write(text, this.length, 'latin1')
  }

  toBase64url (): string {
    return this.buffer.toString('base64url', 0, this.length)
  }
}

class Reader {
  private index = 0

  constructor (private readonly data: Buffer) {}

  get done (): boolean {
    return this.index === this.data.length
  }

  varint (what: string): number {
    let value = 0
    let scale = 1
    for (let n = 0; n < MAX_VARINT_BYTES; n++) {
      const byte = this.data[this.index++]
      if (byte === undefined) throw new CursorError(`the cursor ends early (in ${what})`)
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) {
        if (byte === 0 && n > 0) throw new CursorError(`the cursor is malformed (${what} is not minimally encoded)`)
        if (!Number.isSafeInteger(value)) throw new CursorError(`the cursor is malformed (${what} is too large)`)
        return value
      }
      scale *= 0x80
    }
    throw new CursorError(`the cursor is malformed (${what} is too large)`)
  }

  bytesOf (length: number, what: string): Buffer {
    if (this.index + length > this.data.length) throw new CursorError(`the cursor ends early (in ${what})`)
    const slice = this.data.subarray(this.index, this.index + length)
    this.index += length
    return slice
  }
}

function checkCounts (topics: number, partitions: number): void {
  if (topics > CURSOR_LIMITS.maxTopics) throw new CursorError(`a cursor holds at most ${CURSOR_LIMITS.maxTopics} topics`)
  if (partitions > CURSOR_LIMITS.maxPartitions) throw new CursorError(`a cursor holds at most ${CURSOR_LIMITS.maxPartitions} partitions`)
}

/** The cursor for `positions` (topics without partitions are left out). Throws CursorError past the bounds. */
export function encodeCursor (positions: Positions): string {
  const topics = [...positions.keys()].filter((t) => (positions.get(t) as Map<number, number>).size > 0).sort()
  let total = 0
  for (const topic of topics) total += (positions.get(topic) as Map<number, number>).size
  checkCounts(topics.length, total)
  let capacity = 2 * MAX_VARINT_BYTES + total * 2 * MAX_VARINT_BYTES
  for (const topic of topics) capacity += 2 * MAX_VARINT_BYTES + topic.length
  const out = new Writer(capacity)
  out.varint(CURSOR_VERSION)
  out.varint(topics.length)
  for (const topic of topics) {
    const partitions = positions.get(topic) as Map<number, number>
    // Checked first: only then is the name known to be ASCII, one byte per character.
    checkTopic(topic)
    const sorted = [...partitions.keys()].sort((a, b) => a - b)
    for (const partition of sorted) checkPartitionOffset(topic, partition, partitions.get(partition) as number)
    out.varint(topic.length)
    out.ascii(topic)
    out.varint(partitions.size)
    let previous = -1
    for (const partition of sorted) {
      out.varint(partition - previous - 1)
      out.varint(partitions.get(partition) as number)
      previous = partition
    }
  }
  const text = out.toBase64url()
  if (text.length > CURSOR_LIMITS.maxLength) throw new CursorError(`the cursor would be longer than ${CURSOR_LIMITS.maxLength} characters`)
  return text
}

/** Positions from a cursor; throws CursorError (FG_BAD_CURSOR) for anything but a cursor encodeCursor made. */
export function decodeCursor (text: string): Positions {
  if (typeof text !== 'string' || text.length === 0) throw new CursorError('the cursor is empty')
  if (text.length > CURSOR_LIMITS.maxLength) throw new CursorError(`the cursor is longer than ${CURSOR_LIMITS.maxLength} characters`)
  if (!BASE64URL.test(text)) throw new CursorError('the cursor is not base64url text')
  const data = Buffer.from(text, 'base64url')
  if (data.toString('base64url') !== text) throw new CursorError('the cursor is not canonical base64url text')
  const input = new Reader(data)
  const version = input.varint('the version')
  if (version !== CURSOR_VERSION) throw new CursorError(`cursor version ${version} is not supported (expected ${CURSOR_VERSION})`)
  const topicCount = input.varint('the topic count')
  checkCounts(topicCount, 0)
  const positions: Positions = new Map()
  let total = 0
  let previousTopic: string | undefined
  for (let t = 0; t < topicCount; t++) {
    const nameLength = input.varint('a topic name length')
    if (nameLength > 249) throw new CursorError('the cursor is malformed (a topic name is too long)')
    const raw = input.bytesOf(nameLength, 'a topic name')
    // latin1 maps each byte to one character; checkTopic then allows only Kafka's ASCII set.
    const topic = raw.toString('latin1')
    checkTopic(topic)
    if (previousTopic !== undefined && topic <= previousTopic) throw new CursorError('the cursor is malformed (topics out of order)')
    previousTopic = topic
    const partitionCount = input.varint('a partition count')
    if (partitionCount === 0) throw new CursorError(`the cursor is malformed (no partitions for topic ${topic})`)
    total += partitionCount
    checkCounts(topicCount, total)
    const partitions = new Map<number, number>()
    let previous = -1
    for (let p = 0; p < partitionCount; p++) {
      const partition = previous + 1 + input.varint('a partition')
      const offset = input.varint('an offset')
      checkPartitionOffset(topic, partition, offset)
      partitions.set(partition, offset)
      previous = partition
    }
    positions.set(topic, partitions)
  }
  if (!input.done) throw new CursorError('the cursor is malformed (trailing bytes)')
  return positions
}
