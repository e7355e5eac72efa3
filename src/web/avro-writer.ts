/**
 * Writes alerts back as an Avro object container file (null codec) with their writer schema,
 * from the gateway's JSON items: longs as decimal strings (int64=string) or numbers, bytes as
 * base64, unions unwrapped, NaN given as null. The file reads with any Avro tool (fastavro,
 * avro-tools, python3-avro), as fink-client's "save alerts to disk" did.
 */
type Schema = string | Schema[] | SchemaObject
interface SchemaObject {
  type: string | Schema
  name?: string
  namespace?: string
  fields?: Array<{ name: string, type: Schema }>
  items?: Schema
  values?: Schema
  symbols?: string[]
}
type Json = unknown

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])
const RECORDS_PER_BLOCK = 100

export class AvroWriteError extends Error {}

class ByteSink {
  private buf = new Uint8Array(1 << 16)
  length = 0
  private readonly scratch = new DataView(new ArrayBuffer(8))

  private ensure (n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  byte (b: number): void {
    this.ensure(1)
    this.buf[this.length++] = b
  }

  bytes (b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  long (value: bigint): void {
    let n = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80)
      n >>= 7n
    }
    this.byte(Number(n))
  }

  float (v: number): void {
    this.scratch.setFloat32(0, v, true)
    this.bytes(new Uint8Array(this.scratch.buffer, 0, 4))
  }

  double (v: number): void {
    this.scratch.setFloat64(0, v, true)
    this.bytes(new Uint8Array(this.scratch.buffer, 0, 8))
  }

  sized (b: Uint8Array): void {
    this.long(BigInt(b.length))
    this.bytes(b)
  }

  take (): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length)
  }
}

const utf8 = new TextEncoder()

function base64Bytes (text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** Resolves named types (records, enums, fixed) by full name, as the Avro spec's namespaces say. */
class Names {
  private readonly named = new Map<string, Schema>()

  constructor (root: Schema) {
    this.collect(root, '')
  }

  private collect (schema: Schema, namespace: string): void {
    if (Array.isArray(schema)) {
      for (const branch of schema) this.collect(branch, namespace)
      return
    }
    if (typeof schema !== 'object' || schema === null) return
    const type = schema.type
    if (typeof type === 'object') {
      this.collect(type, namespace)
      return
    }
    let ns = namespace
    if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
      const name = String(schema.name)
      ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof schema.namespace === 'string' ? schema.namespace : namespace
      const full = name.includes('.') ? name : ns === '' ? name : `${ns}.${name}`
      this.named.set(full, schema)
    }
    if (type === 'record' || type === 'error') for (const f of schema.fields ?? []) this.collect(f.type, ns)
    if (type === 'array' && schema.items !== undefined) this.collect(schema.items, ns)
    if (type === 'map' && schema.values !== undefined) this.collect(schema.values, ns)
  }

  resolve (name: string): Schema {
    const found = this.named.get(name) ?? [...this.named.entries()].find(([full]) => full.endsWith(`.${name}`))?.[1]
    if (found === undefined) throw new AvroWriteError(`unknown Avro type ${name}`)
    return found
  }
}

function typeName (schema: Schema, names: Names): { type: string, schema: Schema } {
  if (typeof schema === 'string') return PRIMITIVES.has(schema) ? { type: schema, schema } : typeName(names.resolve(schema), names)
  if (Array.isArray(schema)) return { type: 'union', schema }
  if (typeof schema.type === 'object') return typeName(schema.type, names)
  if (PRIMITIVES.has(schema.type) || schema.type === 'record' || schema.type === 'error' || schema.type === 'enum' ||
    schema.type === 'fixed' || schema.type === 'array' || schema.type === 'map') return { type: schema.type, schema }
  return typeName(names.resolve(schema.type), names)
}

const INTEGER = /^-?\d+$/

function obj (schema: Schema): SchemaObject {
  return typeof schema === 'object' && !Array.isArray(schema) ? schema : { type: 'null' }
}

function matches (schema: Schema, value: Json, names: Names): boolean {
  const { type, schema: s } = typeName(schema, names)
  switch (type) {
    case 'null': return value === null
    case 'boolean': return typeof value === 'boolean'
    case 'int': return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31
    case 'long': return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value))
    case 'float': case 'double': return typeof value === 'number'
    case 'string': case 'bytes': case 'fixed': return typeof value === 'string'
    case 'enum': return typeof value === 'string' && (obj(s).symbols ?? []).includes(value)
    case 'array': return Array.isArray(value)
    case 'map': return value !== null && typeof value === 'object' && !Array.isArray(value)
    case 'record': case 'error': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
      const fields = obj(s).fields ?? []
      return fields.every((f) => f.name in value)
    }
    default: return false
  }
}

function write (sink: ByteSink, schema: Schema, value: Json, names: Names, path: string): void {
  const { type, schema: s } = typeName(schema, names)
  const fail = (): never => { throw new AvroWriteError(`${path}: ${JSON.stringify(value)?.slice(0, 60)} is not a valid ${type}`) }
  switch (type) {
    case 'null': if (value !== null) fail(); return
    case 'boolean': if (typeof value !== 'boolean') fail(); sink.byte(value === true ? 1 : 0); return
    case 'int': case 'long':
      if (!matches(type, value, names)) fail()
      sink.long(BigInt(value as number | string))
      return
    // The gateway's JSON gives NaN as null: a plain float field can only have held NaN.
    case 'float': if (value !== null && typeof value !== 'number') fail(); sink.float(value === null ? NaN : value as number); return
    case 'double': if (value !== null && typeof value !== 'number') fail(); sink.double(value === null ? NaN : value as number); return
    case 'string': if (typeof value !== 'string') fail(); sink.sized(utf8.encode(value as string)); return
    case 'bytes': if (typeof value !== 'string') fail(); sink.sized(base64Bytes(value as string)); return
    case 'fixed': if (typeof value !== 'string') fail(); sink.bytes(base64Bytes(value as string)); return
    case 'enum': {
      const index = typeof value === 'string' ? (obj(s).symbols ?? []).indexOf(value) : -1
      if (index < 0) fail()
      sink.long(BigInt(index))
      return
    }
    case 'array': {
      if (!Array.isArray(value)) fail()
      const items = value as Json[]
      if (items.length > 0) {
        sink.long(BigInt(items.length))
        items.forEach((item, i) => { write(sink, obj(s).items ?? 'null', item, names, `${path}[${i}]`) })
      }
      sink.long(0n)
      return
    }
    case 'map': {
      if (!matches(s, value, names)) fail()
      const entries = Object.entries(value as Record<string, Json>)
      if (entries.length > 0) {
        sink.long(BigInt(entries.length))
        for (const [k, v] of entries) {
          sink.sized(utf8.encode(k))
          write(sink, obj(s).values ?? 'null', v, names, `${path}.${k}`)
        }
      }
      sink.long(0n)
      return
    }
    case 'record': case 'error': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail()
      const fieldValues = value as Record<string, Json>
      for (const field of obj(s).fields ?? []) {
        if (!(field.name in fieldValues)) throw new AvroWriteError(`${path}.${field.name} is missing (was it excluded?)`)
        write(sink, field.type, fieldValues[field.name], names, `${path}.${field.name}`)
      }
      return
    }
    case 'union': {
      const branches = s as Schema[]
      let index = branches.findIndex((b) => matches(b, value, names))
      // NaN arrives as null: a union without a null branch can only have held a NaN float.
      if (index < 0 && value === null) index = branches.findIndex((b) => ['float', 'double'].includes(typeName(b, names).type))
      if (index < 0) fail()
      sink.long(BigInt(index))
      write(sink, branches[index] as Schema, value, names, path)
      return
    }
    default: fail()
  }
}

/** One Avro object container file holding `alerts`, all written with `schemaText`. */
export function encodeContainer (schemaText: string, alerts: readonly Json[]): Uint8Array<ArrayBuffer> {
  const schema = JSON.parse(schemaText) as Schema
  const names = new Names(schema)
  const out = new ByteSink()
  out.bytes(utf8.encode('Obj'))
  out.byte(1)
  // File metadata: a map of bytes values.
  out.long(2n)
  out.sized(utf8.encode('avro.schema'))
  out.sized(utf8.encode(schemaText))
  out.sized(utf8.encode('avro.codec'))
  out.sized(utf8.encode('null'))
  out.long(0n)
  const sync = crypto.getRandomValues(new Uint8Array(16))
  out.bytes(sync)
  for (let start = 0; start < alerts.length; start += RECORDS_PER_BLOCK) {
    const block = new ByteSink()
    const chunk = alerts.slice(start, start + RECORDS_PER_BLOCK)
    chunk.forEach((alert, i) => { write(block, schema, alert, names, `alert[${start + i}]`) })
    out.long(BigInt(chunk.length))
    out.long(BigInt(block.length))
    out.bytes(block.take())
    out.bytes(sync)
  }
  return out.take()
}
