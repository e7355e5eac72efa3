/**
 * Decoder benchmark: CPU microseconds per ZTF alert to decode (schemaless Avro → value), to decode
 * and write the item JSON, and, for scale, JSON.parse of the same alert's JSON text (the
 * expected file) and avsc's own decoder. Same process, same alerts. `runDecodeBench()` is what
 * bench/run.ts calls; `node --import tsx bench/decode.ts` prints the figures.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AlertDecoder, SchemaCache, itemJson, readAvroFile, type KafkaRecord } from '../src/avro/index.js'

const REPO_ROOT = resolve(import.meta.dirname, '..')
const FINK_ALERTS_DIR = process.env.FINK_ALERTS_DIR ?? resolve(REPO_ROOT, '../shared/fink-alerts')

export interface DecodeBenchResult {
  file: string
  alerts: number
  /** Mean Avro body size. */
  avroBytesPerAlert: number
  /** Mean item JSON size (int64 as numbers). */
  itemJsonBytesPerAlert: number
  /** Our decoder: key (schema JSON) → cached schema → value. */
  decodeUs: number
  /** Item JSON text from an already decoded value. */
  itemJsonUs: number
  /** Decode and item JSON: the gateway's per-alert cost. */
  decodeItemJsonUs: number
  /** JSON.parse of the same alert's JSON text (Python's rendering, from expected/). */
  jsonParseUs: number
  /** avsc's Type.fromBuffer on the same bodies (no bounds pre-checks, for comparison). */
  avscDecodeUs: number
  /** JSON.stringify of the decoded value, Buffers as {"type","data"} (the naive way, for comparison). */
  naiveStringifyUs: number
  /** All figures are CPU time (user + system) per alert. */
  unit: 'cpu-us'
}

/**
 * Mean CPU microseconds (user + system) per call of `fn(i)` over `n` items, repeated for at
 * least `minMs` of wall time. CPU time, not wall time: on a busy machine wall time measures
 * the neighbours.
 */
function measure (n: number, minMs: number, fn: (i: number) => unknown): number {
  let sink: unknown
  for (let w = 0; w < 3; w++) for (let i = 0; i < n; i++) sink = fn(i)
  let calls = 0
  const start = performance.now()
  const cpu = process.cpuUsage()
  do {
    for (let i = 0; i < n; i++) sink = fn(i)
    calls += n
  } while (performance.now() - start < minMs)
  const used = process.cpuUsage(cpu)
  if (sink === Symbol.for('never')) console.log(sink)
  return (used.user + used.system) / calls
}

/** What a first attempt does: JSON.stringify of the value (Buffers become {"type","data"}). */
function naiveStringify (value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}

export async function runDecodeBench (opts: { file?: string, minMs?: number } = {}): Promise<DecodeBenchResult> {
  const name = opts.file ?? 'ztf/ftransfer-ztf-2026-03-23-part-3.avro'
  const minMs = opts.minMs ?? 1500
  const avro = await readAvroFile(join(FINK_ALERTS_DIR, name))
  const expected = readFileSync(join(FINK_ALERTS_DIR, 'expected', name.replace('/', '__') + '.jsonl'), 'utf8').split('\n').filter((l) => l !== '')
  const key = Buffer.from(avro.schemaText)
  const records: KafkaRecord[] = avro.records.map((value, offset) => ({ topic: 'bench', partition: 0, offset, timestamp: Date.now(), key, value }))
  const decoder = new AlertDecoder(new SchemaCache())
  const opt = { int64: 'number', exclude: new Set<string>() } as const
  const decode = (i: number) => {
    const d = decoder.decode(records[i] as KafkaRecord)
    if (d instanceof Promise) throw new Error('unexpected registry lookup')
    return d
  }
  const decoded = records.map((_r, i) => decode(i))
  const type = decoded[0]?.schema.type
  if (type === undefined) throw new Error(`${name} has no alerts`)
  const n = records.length

  const decodeUs = measure(n, minMs, decode)
  const itemJsonUs = measure(n, minMs, (i) => itemJson(decoded[i] as typeof decoded[number], opt))
  const decodeItemJsonUs = measure(n, minMs, (i) => itemJson(decode(i), opt))
  const jsonParseUs = measure(n, minMs, (i) => JSON.parse(expected[i] as string))
  const avscDecodeUs = measure(n, minMs, (i) => type.fromBuffer(avro.records[i] as Buffer))
  const naiveStringifyUs = measure(n, minMs, (i) => naiveStringify(decoded[i]?.alert))

  return {
    file: name,
    alerts: n,
    avroBytesPerAlert: Math.round(avro.records.reduce((s, r) => s + r.length, 0) / n),
    itemJsonBytesPerAlert: Math.round(decoded.reduce((s, d) => s + Buffer.byteLength(itemJson(d, opt)), 0) / n),
    decodeUs: round(decodeUs),
    itemJsonUs: round(itemJsonUs),
    decodeItemJsonUs: round(decodeItemJsonUs),
    jsonParseUs: round(jsonParseUs),
    avscDecodeUs: round(avscDecodeUs),
    naiveStringifyUs: round(naiveStringifyUs),
    unit: 'cpu-us'
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2)
  for (const file of files.length > 0 ? files : ['ztf/ftransfer-ztf-2026-03-23-part-3.avro', 'ztf/sample-part-00001.avro', 'lsst/ftransfer-lsst-2026-03-18-part-2.avro']) {
    const r = await runDecodeBench({ file })
    console.log(JSON.stringify(r))
  }
}
