import type avsc from 'avsc'
import type { DecodeError } from './decode-error.js'
import type { DecodedAlert, KafkaRecord } from './decoder.js'
import type { CachedSchema } from './schema-cache.js'

export interface ItemOptions {
  /** `number`: exact digits in the JSON text; `string`: a JSON string of the digits. */
  int64: 'number' | 'string'
  /** Top-level fields to drop (parseExclude expands `cutouts`). */
  exclude: ReadonlySet<string>
}

type Write = (v: any) => string

const CUTOUT_FIELDS = ['cutoutScience', 'cutoutTemplate', 'cutoutDifference']
const MAX_WRITERS_PER_SCHEMA = 32

/** `exclude=a,b,cutouts` as a set of top-level field names. */
export function parseExclude (csv: string | undefined): ReadonlySet<string> {
  const out = new Set<string>()
  if (csv === undefined) return out
  for (const raw of csv.split(',')) {
    const name = raw.trim()
    if (name === '') continue
    if (name === 'cutouts') for (const c of CUTOUT_FIELDS) out.add(c)
    else out.add(name)
  }
  return out
}

/**
 * The contract's item as JSON text:
 * `{"topic","partition","offset","timestamp","key","schema","alert"}`. The alert is written by
 * a writer compiled once per schema and options (no JSON.stringify of the value): bytes and
 * fixed as base64, NaN and infinities as null, longs as exact digits or strings.
 */
export function itemJson (d: DecodedAlert, opts: ItemOptions): string {
  const r = d.record
  return `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp ?? 'null'},"key":${d.key === null ? 'null' : JSON.stringify(d.key)},"schema":"${d.schema.id}","alert":${alertJson(d, opts)}}`
}

/** Only the `alert` member's JSON text. */
export function alertJson (d: DecodedAlert, opts: ItemOptions): string {
  return writerFor(d.schema, opts)(d.alert)
}

/** The item of a message that could not be decoded: the stream goes on with this. */
export function errorItemJson (record: KafkaRecord, err: DecodeError): string {
  const key = record.key == null || record.key.length === 0 || record.key[0] === 0x7b ? 'null' : JSON.stringify(record.key.toString('utf8'))
  return `{"topic":${JSON.stringify(record.topic)},"partition":${record.partition},"offset":${record.offset},"timestamp":${record.timestamp ?? 'null'},"key":${key},"schema":null,"alert":null,"error":{"code":${JSON.stringify(err.code)},"message":${JSON.stringify(err.message)}}}`
}

/** The compiled alert writer of this schema for these options (cached on the schema). */
export function writerFor (schema: CachedSchema, opts: ItemOptions): Write {
  const cacheKey = opts.exclude.size === 0 ? opts.int64 : `${opts.int64}:${[...opts.exclude].sort().join(',')}`
  let writer = schema.writers.get(cacheKey)
  if (writer === undefined) {
    writer = compileWriter(schema.type, opts.int64, opts.exclude, new Map())
    if (schema.writers.size >= MAX_WRITERS_PER_SCHEMA) schema.writers.clear()
    schema.writers.set(cacheKey, writer)
  }
  return writer
}

const writeNull: Write = () => 'null'
const writeBoolean: Write = (v: boolean) => (v ? 'true' : 'false')
const writeInt: Write = (v: number) => String(v)
const writeNumber: Write = (v: number) => (v === 0 && 1 / v < 0 ? '-0' : Number.isFinite(v) ? String(v) : 'null')
const writeLongNumber: Write = (v: bigint | number) => String(v)
const writeLongString: Write = (v: bigint | number) => `"${v}"`
const writeString: Write = (v: string) => JSON.stringify(v)
const writeBuffer: Write = (v: Buffer) => `"${v.toString('base64')}"`

/** For values whose type a union cannot tell from the JS value alone (e.g. two record branches). */
function dynamicWriter (int64: 'number' | 'string'): Write {
  const writeLong = int64 === 'number' ? writeLongNumber : writeLongString
  const write: Write = (v: unknown): string => {
    if (v === null || v === undefined) return 'null'
    switch (typeof v) {
      case 'boolean': return writeBoolean(v)
      case 'number': return writeNumber(v)
      case 'bigint': return writeLong(v)
      case 'string': return writeString(v)
    }
    if (Buffer.isBuffer(v)) return writeBuffer(v)
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`
    const parts: string[] = []
    for (const [k, x] of Object.entries(v as object)) parts.push(`${JSON.stringify(k)}:${write(x)}`)
    return `{${parts.join(',')}}`
  }
  return write
}

/** The JS kind of a decoded value of this type (how an unwrapped union value is recognised). */
function kindOf (type: avsc.Type): string {
  switch (type.typeName) {
    case 'null': return 'null'
    case 'boolean': return 'boolean'
    case 'int': case 'float': case 'double': return 'number'
    case 'long': case 'abstract:long': return 'bigint'
    case 'string': case 'enum': return 'string'
    case 'bytes': case 'fixed': return 'buffer'
    case 'array': return 'array'
    default: return 'object'
  }
}

function valueKind (v: unknown): string {
  if (v === null) return 'null'
  const t = typeof v
  if (t !== 'object') return t
  if (Buffer.isBuffer(v)) return 'buffer'
  return Array.isArray(v) ? 'array' : 'object'
}

function compileWriter (type: avsc.Type, int64: 'number' | 'string', exclude: ReadonlySet<string>,
  compiled: Map<avsc.Type, Write>): Write {
  const known = compiled.get(type)
  if (known !== undefined) return known
  switch (type.typeName) {
    case 'null': return writeNull
    case 'boolean': return writeBoolean
    case 'int': return writeInt
    case 'long': case 'abstract:long': return int64 === 'number' ? writeLongNumber : writeLongString
    case 'float': case 'double': return writeNumber
    case 'string': case 'enum': return writeString
    case 'bytes': case 'fixed': return writeBuffer
    case 'array': {
      let item: Write = writeNull
      const fn: Write = (v: unknown[]) => {
        const n = v.length
        if (n === 0) return '[]'
        let s = '[' + item(v[0])
        for (let i = 1; i < n; i++) s += ',' + item(v[i])
        return s + ']'
      }
      compiled.set(type, fn)
      item = compileWriter((type as avsc.types.ArrayType).itemsType, int64, new Set(), compiled)
      return fn
    }
    case 'map': {
      let value: Write = writeNull
      const fn: Write = (v: Record<string, unknown>) => {
        let s = ''
        for (const k in v) s += (s === '' ? '{' : ',') + JSON.stringify(k) + ':' + value(v[k])
        return s === '' ? '{}' : s + '}'
      }
      compiled.set(type, fn)
      value = compileWriter((type as avsc.types.MapType).valuesType, int64, new Set(), compiled)
      return fn
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (type as avsc.types.UnwrappedUnionType).types
      const byKind = new Map<string, Write>()
      const ambiguous = new Set<string>()
      const fn: Write = (v: unknown) => {
        if (v === null) return 'null'
        const w = byKind.get(valueKind(v))
        return w === undefined ? dynamic(v) : w(v)
      }
      compiled.set(type, fn)
      const dynamic = dynamicWriter(int64)
      for (const b of branches) {
        const kind = kindOf(b)
        // int, float and double all write a JS number the same way; other clashes go dynamic.
        if (byKind.has(kind) && kind !== 'number') ambiguous.add(kind)
        byKind.set(kind, kind === 'number' ? writeNumber : compileWriter(b, int64, new Set(), compiled))
      }
      for (const kind of ambiguous) byKind.set(kind, dynamic)
      const other = branches.find((b) => b.typeName !== 'null')
      if (branches.length === 2 && branches.some((b) => b.typeName === 'null') && other !== undefined) {
        const only = byKind.get(kindOf(other)) as Write
        const twoWay: Write = (v: unknown) => (v === null ? 'null' : only(v))
        compiled.set(type, twoWay)
        return twoWay
      }
      return fn
    }
    case 'record':
    case 'error': {
      const fields = (type as avsc.types.RecordType).fields.filter((f) => !exclude.has(f.name))
      const writers: Write[] = []
      if (fields.length === 0) return () => '{}'
      // One concatenation expression per record: the fastest way V8 builds this text.
      const body = fields.map((f, i) =>
        `${JSON.stringify((i === 0 ? '{' : ',') + JSON.stringify(f.name) + ':')} + w[${i}](v[${JSON.stringify(f.name)}])`
      ).join(' +\n')
      // eslint-disable-next-line no-new-func
      const fn = new Function('w', `return function writeRecord (v) { return ${body} + '}' }`)(writers) as Write
      // Excluded fields change only the top level; nested records are shared as usual.
      if (exclude.size === 0) compiled.set(type, fn)
      for (const f of fields) writers.push(compileWriter(f.type, int64, new Set(), compiled))
      return fn
    }
    default:
      return dynamicWriter(int64)
  }
}
