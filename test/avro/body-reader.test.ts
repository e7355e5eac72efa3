import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileReader, DecodeError, DecodeCode, parseSchema, type DecodeCodeValue } from '../../src/avro/index.js'

/** Avro's zigzag varint of a (possibly huge) integer, to write hostile values by hand. */
function varint (n: bigint): Buffer {
  let u = n >= 0n ? n << 1n : ((-n) << 1n) - 1n
  const out: number[] = []
  do {
    const b = Number(u & 0x7fn)
    u >>= 7n
    out.push(u > 0n ? b | 0x80 : b)
  } while (u > 0n)
  return Buffer.from(out)
}

function reader (schema: unknown) {
  return compileReader(parseSchema(schema))
}

function assertCode (fn: () => unknown, code: DecodeCodeValue): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecodeError, `not a DecodeError: ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return true
  })
}

test('longs keep all 64 bits, at every boundary', () => {
  const type = parseSchema({ type: 'record', name: 'r', fields: [{ name: 'n', type: 'long' }] })
  const r = compileReader(type)
  const values = [0n, 1n, -1n, 63n, -64n, 2n ** 31n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 53n + 1n,
    1060135832015015002n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 3n]
  for (const n of values) {
    const buf = type.toBuffer({ n })
    assert.deepEqual(varint(n), buf, `our test encoder agrees with avsc for ${n}`)
    assert.equal((r.decode(buf) as { n: bigint }).n, n)
  }
})

test('ints, floats, doubles, booleans, enums, fixed, maps and unions decode as avsc encodes them', () => {
  const schema = {
    type: 'record',
    name: 'all',
    fields: [
      { name: 'i', type: 'int' },
      { name: 'f', type: 'float' },
      { name: 'd', type: ['null', 'double'] },
      { name: 'b', type: 'boolean' },
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } },
      { name: 'x', type: { type: 'fixed', name: 'F', size: 3 } },
      { name: 'm', type: { type: 'map', values: ['null', 'string'] } },
      { name: 'a', type: { type: 'array', items: 'bytes' } },
      { name: 'n', type: 'null' }
    ]
  }
  const type = parseSchema(schema)
  const value = { i: -2147483648, f: 1.5, d: Number.NaN, b: true, e: 'C', x: Buffer.from('abc'), m: { k: 'v', z: null }, a: [Buffer.from([0, 255])], n: null }
  const decoded = reader(schema).decode(type.toBuffer(value)) as typeof value
  assert.equal(decoded.i, -2147483648)
  assert.equal(decoded.f, 1.5)
  assert.ok(Number.isNaN(decoded.d))
  assert.equal(decoded.b, true)
  assert.equal(decoded.e, 'C')
  assert.deepEqual(decoded.x, Buffer.from('abc'))
  assert.deepEqual({ ...decoded.m }, { k: 'v', z: null })
  assert.deepEqual(decoded.a, [Buffer.from([0, 255])])
  assert.equal(decoded.n, null)
})

test('a map key "__proto__" is data, not a prototype', () => {
  const schema = { type: 'map', values: 'int' }
  const body = Buffer.concat([varint(1n), varint(9n), Buffer.from('__proto__'), varint(5n), varint(0n)])
  const m = reader(schema).decode(body) as Record<string, unknown>
  assert.equal(Object.getOwnPropertyDescriptor(m, '__proto__')?.value, 5)
})

const STRING_RECORD = { type: 'record', name: 's', fields: [{ name: 's', type: 'string' }] }
const LONG_ARRAY = { type: 'record', name: 'la', fields: [{ name: 'a', type: { type: 'array', items: 'long' } }] }
const NULL_ARRAY = { type: 'array', items: 'null' }

test('hostile values fail with their code, without allocating what they declare', () => {
  const before = process.memoryUsage().heapUsed
  const cases: Array<[string, unknown, Buffer, DecodeCodeValue]> = [
    ['string of declared length 2^40', STRING_RECORD, Buffer.concat([varint(2n ** 40n), Buffer.from('abc')]), DecodeCode.TOO_LARGE],
    ['string of declared length 2^62', STRING_RECORD, Buffer.concat([varint(2n ** 62n), Buffer.from('abc')]), DecodeCode.TOO_LARGE],
    ['string longer than the bytes left', STRING_RECORD, Buffer.concat([varint(10n), Buffer.from('abc')]), DecodeCode.TOO_LARGE],
    ['negative string length', STRING_RECORD, varint(-5n), DecodeCode.INVALID],
    ['array of 2^50 longs', LONG_ARRAY, Buffer.concat([varint(2n ** 50n), varint(1n)]), DecodeCode.TOO_LARGE],
    ['array of 10^6 longs in 3 bytes', LONG_ARRAY, Buffer.concat([varint(1_000_000n), varint(1n)]), DecodeCode.TOO_LARGE],
    ['array block with negative count and huge size', LONG_ARRAY, Buffer.concat([varint(-3n), varint(2n ** 45n), varint(1n)]), DecodeCode.TOO_LARGE],
    ['array of 10^12 nulls (zero bytes each)', NULL_ARRAY, Buffer.concat([varint(10n ** 12n), varint(0n)]), DecodeCode.TOO_LARGE],
    ['map of 2^40 entries', { type: 'map', values: 'null' }, Buffer.concat([varint(2n ** 40n), varint(0n)]), DecodeCode.TOO_LARGE],
    ['union index out of range', { type: 'record', name: 'u', fields: [{ name: 'u', type: ['null', 'int'] }] }, varint(7n), DecodeCode.INVALID],
    ['enum index out of range', { type: 'enum', name: 'E', symbols: ['A'] }, varint(3n), DecodeCode.INVALID],
    ['long varint of 11 bytes', { type: 'record', name: 'l', fields: [{ name: 'l', type: 'long' }] }, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), DecodeCode.INVALID],
    ['int varint of 6 bytes', { type: 'record', name: 'i', fields: [{ name: 'i', type: 'int' }] }, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), DecodeCode.INVALID],
    ['boolean byte 2', 'boolean', Buffer.from([2]), DecodeCode.INVALID],
    ['truncated double', 'double', Buffer.from([1, 2, 3]), DecodeCode.TRUNCATED],
    ['truncated varint', 'long', Buffer.from([0x80]), DecodeCode.TRUNCATED],
    ['trailing bytes', 'int', Buffer.from([2, 0]), DecodeCode.TRAILING_BYTES]
  ]
  for (const [what, schema, body, code] of cases) {
    assert.throws(() => reader(schema).decode(body), (err: unknown) => {
      assert.ok(err instanceof DecodeError, `${what}: not a DecodeError: ${String(err)}`)
      assert.equal(err.code, code, `${what}: ${err.message}`)
      return true
    })
  }
  const grown = process.memoryUsage().heapUsed - before
  assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes`)
})

test('a value above the size limit is refused before decoding', () => {
  const r = compileReader(parseSchema('bytes'), { maxBytes: 1024, maxItems: 10 })
  assertCode(() => r.decode(Buffer.alloc(2048)), DecodeCode.TOO_LARGE)
  const items = compileReader(parseSchema(NULL_ARRAY), { maxBytes: 1024, maxItems: 10 })
  assertCode(() => items.decode(Buffer.concat([varint(11n), varint(0n)])), DecodeCode.TOO_LARGE)
  assert.deepEqual(items.decode(Buffer.concat([varint(10n), varint(0n)])), new Array(10).fill(null))
})

test('recursive schemas compile and decode', () => {
  const schema = { type: 'record', name: 'Node', fields: [{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'Node'] }] }
  const type = parseSchema(schema)
  const value = { v: 1, next: { v: 2, next: null } }
  assert.deepEqual(reader(schema).decode(type.toBuffer(value)), value)
})
