import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CURSOR_LIMITS, CURSOR_VERSION, decodeCursor, encodeCursor } from '../../src/cursor/codec.js'
import { CursorError } from '../../src/cursor/cursor-error.js'
import type { Positions } from '../../src/cursor/positions.js'
import { integer, pick, seededRandom } from '../filter/random.js'

function positions (entries: Record<string, Record<number, number>>): Positions {
  return new Map(Object.entries(entries).map(([topic, partitions]) =>
    [topic, new Map(Object.entries(partitions).map(([p, o]) => [Number(p), o]))]))
}

function rejects (text: string, message: RegExp): void {
  assert.throws(() => decodeCursor(text), (err: unknown) => {
    assert.ok(err instanceof CursorError, `${text}: ${String(err)}`)
    assert.equal(err.code, 'FG_BAD_CURSOR')
    assert.match(err.message, message)
    return true
  }, text)
}

/** Unsigned LEB128, written independently of the codec, to build cursors by hand. */
function varint (value: number): number[] {
  const out: number[] = []
  let rest = BigInt(value)
  while (rest >= 0x80n) { out.push(Number(rest & 0x7fn) | 0x80); rest >>= 7n }
  out.push(Number(rest))
  return out
}

function handMade (bytes: number[]): string {
  return Buffer.from(bytes).toString('base64url')
}

function topicBytes (name: string): number[] {
  return [...varint(name.length), ...Buffer.from(name, 'latin1')]
}

test('round-trips positions, whatever the insertion order, to one canonical text', () => {
  const a = positions({ ztf_sn_candidates: { 0: 12345, 1: 99, 7: 2 ** 40 }, lsst: { 3: 0 } })
  const b = positions({ lsst: { 3: 0 }, ztf_sn_candidates: { 7: 2 ** 40, 0: 12345, 1: 99 } })
  const text = encodeCursor(a)
  assert.equal(encodeCursor(b), text)
  assert.match(text, /^[A-Za-z0-9_-]+$/)
  assert.deepEqual(decodeCursor(text), a)
  const json = JSON.stringify(Object.fromEntries([...a].map(([t, ps]) => [t, Object.fromEntries(ps)])))
  assert.ok(text.length < Buffer.from(json).toString('base64url').length * 0.6, `compact: ${text}`)
})

test('the text is base64url of a versioned binary layout', () => {
  const text = encodeCursor(positions({ ab: { 0: 5, 3: 300 } }))
  const expected = [CURSOR_VERSION, 1, ...topicBytes('ab'), 2, 0, 5, 2, ...varint(300)]
  assert.deepEqual([...Buffer.from(text, 'base64url')], expected)
})

test('an empty position set round-trips; topics without partitions are left out', () => {
  assert.deepEqual(decodeCursor(encodeCursor(new Map())), new Map())
  assert.deepEqual(decodeCursor(encodeCursor(positions({ a: {}, b: { 0: 1 } }))), positions({ b: { 0: 1 } }))
})

test('property: random positions round-trip exactly (seeded)', () => {
  const random = seededRandom(31337)
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'
  for (let i = 0; i < 1000; i++) {
    const p: Positions = new Map()
    for (let t = integer(random, 0, 6); t > 0; t--) {
      const name = Array.from({ length: integer(random, 1, pick(random, [5, 40, 249])) }, () => pick(random, [...alphabet])).join('')
      const partitions = new Map<number, number>()
      for (let k = integer(random, 1, 20); k > 0; k--) {
        const partition = pick(random, [integer(random, 0, 10), integer(random, 0, 1000), 2 ** 31 - 1])
        const offset = pick(random, [0, 1, 127, 128, 16383, 16384, integer(random, 0, 2 ** 31), Math.floor(random() * Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER])
        partitions.set(partition, offset)
      }
      p.set(name, partitions)
    }
    const text = encodeCursor(p)
    assert.ok(text.length <= CURSOR_LIMITS.maxLength)
    assert.deepEqual(decodeCursor(text), p, text)
    assert.equal(encodeCursor(decodeCursor(text)), text)
  }
})

test('encoding refuses what decoding would refuse: negative, fractional, unsafe offsets, bad names and partitions', () => {
  const bad: Positions[] = [
    positions({ a: { 0: -1 } }), positions({ a: { 0: 1.5 } }), positions({ a: { 0: 2 ** 53 } }), positions({ a: { 0: NaN } }),
    positions({ a: { [-1]: 0 } }), positions({ a: { 0.5: 0 } }), positions({ a: { [2 ** 31]: 0 } }),
    positions({ 'bad topic': { 0: 0 } }), positions({ é: { 0: 0 } }), positions({ ['x'.repeat(250)]: { 0: 0 } })
  ]
  for (const p of bad) assert.throws(() => encodeCursor(p), CursorError, JSON.stringify([...p.keys()]))
})

test('the size bounds, on both sides', () => {
  const many = (topics: number, perTopic: number): Positions => new Map(Array.from({ length: topics }, (_, t) =>
    [`topic_${t}`, new Map(Array.from({ length: perTopic }, (_, p) => [p, 1] as [number, number]))]))
  decodeCursor(encodeCursor(many(CURSOR_LIMITS.maxTopics, 1)))
  decodeCursor(encodeCursor(many(1, CURSOR_LIMITS.maxPartitions)))
  assert.throws(() => encodeCursor(many(CURSOR_LIMITS.maxTopics + 1, 1)), /at most 64 topics/)
  assert.throws(() => encodeCursor(many(2, CURSOR_LIMITS.maxPartitions / 2 + 1)), /at most 1024 partitions/)
  const longNames = new Map(Array.from({ length: 20 }, (_, t) => [`${t}_${'n'.repeat(240)}`, new Map([[0, 1]])]))
  assert.throws(() => encodeCursor(longNames), /longer than 4096 characters/)
  // Hand-made cursors past the bounds.
  rejects(handMade([1, ...varint(CURSOR_LIMITS.maxTopics + 1)]), /at most 64 topics/)
  rejects(handMade([1, 1, ...topicBytes('a'), ...varint(CURSOR_LIMITS.maxPartitions + 1)]), /at most 1024 partitions/)
  rejects('A'.repeat(CURSOR_LIMITS.maxLength + 4), /longer than 4096 characters/)
})

test('malformed text: empty, not base64url, padded, non-canonical', () => {
  const good = encodeCursor(positions({ a: { 0: 1 } }))
  rejects('', /empty/)
  rejects('abc+/', /not base64url/)
  rejects('ab c', /not base64url/)
  rejects(`${good}=`, /not base64url/)
  rejects('A', /not canonical/) // 6 bits cannot make a byte
  // The same bytes with non-zero unused trailing bits: Buffer would accept them silently.
  assert.notEqual(good.length % 4, 0, 'the last character has unused bits')
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const siblings = [...alphabet].map((c) => good.slice(0, -1) + c)
    .filter((text) => text !== good && Buffer.from(text, 'base64url').equals(Buffer.from(good, 'base64url')))
  assert.ok(siblings.length > 0)
  for (const sibling of siblings) rejects(sibling, /not canonical/)
  rejects(12 as unknown as string, /empty/)
})

test('unknown versions are refused by number', () => {
  rejects(handMade([0, 0]), /cursor version 0 is not supported \(expected 1\)/)
  rejects(handMade([2, 1, ...topicBytes('a'), 1, 0, 0]), /cursor version 2 is not supported/)
  rejects(handMade([...varint(300), 0]), /cursor version 300/)
})

test('structural errors: truncation, trailing bytes, order, empty topics, varints', () => {
  const bytes = [...Buffer.from(encodeCursor(positions({ a: { 0: 1, 5: 300 }, b: { 1: 2 } })), 'base64url')]
  for (let cut = 1; cut < bytes.length; cut++) rejects(handMade(bytes.slice(0, cut)), /ends early/)
  rejects(handMade([...bytes, 0]), /trailing bytes/)
  rejects(handMade([1, 2, ...topicBytes('b'), 1, 0, 0, ...topicBytes('a'), 1, 0, 0]), /topics out of order/)
  rejects(handMade([1, 2, ...topicBytes('a'), 1, 0, 0, ...topicBytes('a'), 1, 0, 0]), /topics out of order/)
  rejects(handMade([1, 1, ...topicBytes('a'), 0]), /no partitions for topic a/)
  rejects(handMade([1, 1, ...topicBytes('a'), 1, 0, 0x80, 0x00]), /not minimally encoded/)
  rejects(handMade([1, 1, ...topicBytes('a'), 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /too large/)
  rejects(handMade([1, 1, ...topicBytes('a'), 1, 0, ...varint(2 ** 53)]), /too large/)
  rejects(handMade([1, 1, ...topicBytes('a'), 1, ...varint(2 ** 31), 0]), /invalid partition/)
  rejects(handMade([1, 1, ...topicBytes('a'), 2, 0, 0, ...varint(2 ** 31 - 1), 0]), /invalid partition/)
  rejects(handMade([1, 1, ...varint(250), ...Buffer.alloc(250, 'a'), 1, 0, 0]), /topic name is too long/)
  rejects(handMade([1, 1, 0, 1, 0, 0]), /invalid topic name ""/)
  rejects(handMade([1, 1, ...topicBytes('a b'), 1, 0, 0]), /invalid topic name "a b"/)
  rejects(handMade([1, 1, 2, 0xc3, 0xa9, 1, 0, 0]), /invalid topic name/)
})

test('property: random text and random bytes decode or throw CursorError, nothing else (seeded)', () => {
  const random = seededRandom(5)
  const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const good = [...Buffer.from(encodeCursor(positions({ ztf: { 0: 10, 1: 20 }, lsst: { 0: 3 } })), 'base64url')]
  let decoded = 0
  for (let i = 0; i < 5000; i++) {
    let text: string
    if (i % 3 === 0) {
      text = Array.from({ length: integer(random, 0, 40) }, () => pick(random, [...base64url, '=', '+', '.', ' '])).join('')
    } else if (i % 3 === 1) {
      text = handMade(Array.from({ length: integer(random, 1, 30) }, () => integer(random, 0, 255)))
    } else {
      const bytes = [...good]
      bytes[integer(random, 0, bytes.length - 1)] = integer(random, 0, 255)
      text = handMade(bytes)
    }
    try {
      const p = decodeCursor(text)
      decoded++
      assert.equal(encodeCursor(p), text, 'what decodes re-encodes to the same text')
    } catch (err) {
      assert.ok(err instanceof CursorError, `${text}: ${String(err)}`)
    }
  }
  assert.ok(decoded > 0, 'some mutations still decode')
})
