import type avsc from 'avsc'
import { DecodeCode, DecodeError } from './decode-error.js'

/**
 * Decodes schemaless Avro bodies with closures compiled once per schema from the avsc type
 * tree. Every read is bounds-checked against the buffer before anything is allocated, so a
 * hostile value (huge declared lengths or counts, truncation, garbage) fails fast with a
 * DecodeError instead of allocating or looping without bound. Values: longs as bigint, bytes
 * and fixed as Buffers (views on the input), unions unwrapped, enums as symbols, maps and
 * records as plain objects (fields in schema order).
 */
export interface Cursor {
  buf: Buffer
  pos: number
  end: number
  /** Array and map items still allowed in this value: bounds items of zero-byte types. */
  items: number
}

export type ReadFn = (c: Cursor) => unknown

export interface ReadLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number
  /** Most array and map items in one value. */
  maxItems: number
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxBytes: 8 * 1024 * 1024, maxItems: 4 * 1024 * 1024 }

/** A compiled body reader for one schema. */
export interface BodyReader {
  /** The whole buffer must be exactly one value. */
  decode: (buf: Buffer) => unknown
  /** One value starting at `c.pos`; leaves `c.pos` after it (used to split container blocks). */
  read: ReadFn
}

function truncated (): never {
  throw new DecodeError(DecodeCode.TRUNCATED, 'the value ends before the end of the record (truncated, or not this schema)')
}

function byte (c: Cursor): number {
  if (c.pos >= c.end) truncated()
  return c.buf[c.pos++] as number
}

export function readInt (c: Cursor): number {
  let b = byte(c)
  let n = b & 0x7f
  let shift = 7
  while ((b & 0x80) !== 0) {
    if (shift > 28) throw new DecodeError(DecodeCode.INVALID, 'an int varint is longer than 5 bytes')
    b = byte(c)
    n |= (b & 0x7f) << shift
    shift += 7
  }
  return (n >>> 1) ^ -(n & 1)
}

const TWO_64 = 1n << 64n

/** A zigzag long: exact, as bigint. Up to 7 bytes (49 bits) are summed as a number first. */
export function readLong (c: Cursor): bigint {
  let b = byte(c)
  let n = b & 0x7f
  let mul = 128
  let count = 1
  while ((b & 0x80) !== 0 && count < 7) {
    b = byte(c)
    n += (b & 0x7f) * mul
    mul *= 128
    count++
  }
  if ((b & 0x80) === 0) return BigInt(n % 2 === 0 ? n / 2 : -(n + 1) / 2)
  let u = BigInt(n)
  let shift = 49n
  do {
    if (count === 10) throw new DecodeError(DecodeCode.INVALID, 'a long varint is longer than 10 bytes')
    b = byte(c)
    u += BigInt(b & 0x7f) << shift
    shift += 7n
    count++
  } while ((b & 0x80) !== 0)
  if (u >= TWO_64) throw new DecodeError(DecodeCode.INVALID, 'a long varint exceeds 64 bits')
  return (u >> 1n) ^ -(u & 1n)
}

/** A long used as a length or count: a safe number, or a DecodeError when it cannot be one. */
export function readSize (c: Cursor): number {
  let b = byte(c)
  let n = b & 0x7f
  let mul = 128
  let count = 1
  while ((b & 0x80) !== 0) {
    if (count === 7) throw new DecodeError(DecodeCode.TOO_LARGE, 'a declared length or count is far beyond the value size')
    b = byte(c)
    n += (b & 0x7f) * mul
    mul *= 128
    count++
  }
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2
}

export function readLength (c: Cursor): number {
  const len = readSize(c)
  if (len < 0) throw new DecodeError(DecodeCode.INVALID, `negative length ${len}`)
  if (len > c.end - c.pos) {
    throw new DecodeError(DecodeCode.TOO_LARGE, `declared length ${len} exceeds the ${c.end - c.pos} bytes left`)
  }
  return len
}

function readNull (): null { return null }

function readBoolean (c: Cursor): boolean {
  const b = byte(c)
  if (b > 1) throw new DecodeError(DecodeCode.INVALID, `boolean byte ${b}`)
  return b === 1
}

function readFloat (c: Cursor): number {
  if (c.end - c.pos < 4) truncated()
  const v = c.buf.readFloatLE(c.pos)
  c.pos += 4
  return v
}

function readDouble (c: Cursor): number {
  if (c.end - c.pos < 8) truncated()
  const v = c.buf.readDoubleLE(c.pos)
  c.pos += 8
  return v
}

export function readBytes (c: Cursor): Buffer {
  const len = readLength(c)
  const start = c.pos
  c.pos += len
  return c.buf.subarray(start, c.pos)
}

export function readString (c: Cursor): string {
  const len = readLength(c)
  const start = c.pos
  c.pos += len
  return c.buf.toString('utf8', start, c.pos)
}

/** Smallest encoded size of a value of this type, to check declared counts against the bytes left. */
function minSize (type: avsc.Type, seen = new Set<avsc.Type>()): number {
  switch (type.typeName) {
    case 'null': return 0
    case 'float': return 4
    case 'double': return 8
    case 'fixed': return (type as avsc.types.FixedType).size
    case 'record':
    case 'error': {
      if (seen.has(type)) return 0
      seen.add(type)
      let total = 0
      for (const f of (type as avsc.types.RecordType).fields) total += minSize(f.type, seen)
      seen.delete(type)
      return total
    }
    default: return 1
  }
}

/** Declared count of the next array/map block, checked before any item is read. */
function blockCount (c: Cursor, itemMin: number): number {
  let n = readSize(c)
  if (n < 0) {
    n = -n
    readLength(c) // the block's byte size: only its bounds matter here
  }
  if (n > c.items) throw new DecodeError(DecodeCode.TOO_LARGE, `declared item count ${n} exceeds the limit`)
  if (n * itemMin > c.end - c.pos) {
    throw new DecodeError(DecodeCode.TOO_LARGE, `declared item count ${n} cannot fit in the ${c.end - c.pos} bytes left`)
  }
  c.items -= n
  return n
}

/** A key of an object literal; `__proto__` must be computed or it would set the prototype. */
export function literalKey (name: string): string {
  return name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name)
}

export function compileReader (type: avsc.Type, limits: ReadLimits = DEFAULT_READ_LIMITS): BodyReader {
  const compiled = new Map<avsc.Type, ReadFn>()
  const read = compile(type, compiled)
  return {
    read,
    decode (buf: Buffer): unknown {
      if (buf.length > limits.maxBytes) {
        throw new DecodeError(DecodeCode.TOO_LARGE, `value of ${buf.length} bytes exceeds the ${limits.maxBytes}-byte limit`)
      }
      const c: Cursor = { buf, pos: 0, end: buf.length, items: limits.maxItems }
      const value = read(c)
      if (c.pos !== c.end) {
        throw new DecodeError(DecodeCode.TRAILING_BYTES, `${c.end - c.pos} bytes left after the record (not this schema, or garbage)`)
      }
      return value
    }
  }
}

function compile (type: avsc.Type, compiled: Map<avsc.Type, ReadFn>): ReadFn {
  const known = compiled.get(type)
  if (known !== undefined) return known
  switch (type.typeName) {
    case 'null': return readNull
    case 'boolean': return readBoolean
    case 'int': return readInt
    case 'long':
    case 'abstract:long': return readLong
    case 'float': return readFloat
    case 'double': return readDouble
    case 'bytes': return readBytes
    case 'string': return readString
    case 'enum': {
      const symbols = (type as avsc.types.EnumType).symbols
      return (c) => {
        const i = readInt(c)
        const s = symbols[i]
        if (s === undefined) throw new DecodeError(DecodeCode.INVALID, `enum index ${i} out of range`)
        return s
      }
    }
    case 'fixed': {
      const size = (type as avsc.types.FixedType).size
      return (c) => {
        if (c.end - c.pos < size) truncated()
        const start = c.pos
        c.pos += size
        return c.buf.subarray(start, c.pos)
      }
    }
    case 'array': {
      const itemType = (type as avsc.types.ArrayType).itemsType
      const itemMin = minSize(itemType)
      const fn: ReadFn = (c) => {
        const out: unknown[] = []
        let n: number
        while ((n = blockCount(c, itemMin)) !== 0) {
          for (let i = 0; i < n; i++) out.push(item(c))
        }
        return out
      }
      compiled.set(type, fn)
      const item = compile(itemType, compiled)
      return fn
    }
    case 'map': {
      const valuesType = (type as avsc.types.MapType).valuesType
      const itemMin = 1 + minSize(valuesType)
      const fn: ReadFn = (c) => {
        const out: Record<string, unknown> = Object.create(null)
        let n: number
        while ((n = blockCount(c, itemMin)) !== 0) {
          for (let i = 0; i < n; i++) {
            const k = readString(c)
            out[k] = value(c)
          }
        }
        return out
      }
      compiled.set(type, fn)
      const value = compile(valuesType, compiled)
      return fn
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches: ReadFn[] = []
      const fn: ReadFn = (c) => {
        const i = readInt(c)
        const branch = branches[i]
        if (branch === undefined) throw new DecodeError(DecodeCode.INVALID, `union index ${i} out of range`)
        return branch(c)
      }
      compiled.set(type, fn)
      for (const t of (type as avsc.types.UnwrappedUnionType).types) branches.push(compile(t, compiled))
      return fn
    }
    case 'record':
    case 'error': {
      const fields = (type as avsc.types.RecordType).fields
      const readers: ReadFn[] = []
      // An object literal in field order gives every value of this record one hidden class.
      const body = fields.map((f, i) => `${literalKey(f.name)}: r[${i}](c)`).join(',\n')
      // eslint-disable-next-line no-new-func
      const fn = new Function('r', `return function readRecord (c) { return {\n${body}\n} }`)(readers) as ReadFn
      compiled.set(type, fn)
      for (const f of fields) readers.push(compile(f.type, compiled))
      return fn
    }
    default:
      throw new DecodeError(DecodeCode.BAD_SCHEMA, `unsupported Avro type ${type.typeName}`)
  }
}
