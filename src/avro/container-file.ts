import { readFile } from 'node:fs/promises'
import { gunzipSync, inflateRawSync } from 'node:zlib'
import * as zlib from 'node:zlib'
import snappy from 'snappyjs'
import { readBytes, readLength, readSize, readString, type Cursor } from './body-reader.js'
import { AvroFileError, DecodeError } from './decode-error.js'
import { SchemaCache, type CachedSchema } from './schema-cache.js'

/** An Avro object container file's content: its writer schema and the raw body of each record. */
export interface AvroFile {
  schemaText: string
  codec: string
  records: Buffer[]
}

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]) // "Obj" 1
const SYNC_SIZE = 16
/** Bounds on what one file may expand to (gzip, deflate and snappy blocks). */
const MAX_FILE_BYTES = 1024 * 1024 * 1024
const MAX_BLOCK_BYTES = 256 * 1024 * 1024

/** Files are parsed with a private cache: its schemas are not the gateway's. */
let fileSchemas: SchemaCache | undefined

/**
 * Reads a `.avro` (or gzip'd `.avro.gz`) object container file: null, deflate or snappy
 * codec. Records are split by decoding each with the file's schema (bounds-checked), so every
 * body is known to be valid for `schemaText`. Throws AvroFileError naming the file.
 */
export async function readAvroFile (path: string): Promise<AvroFile> {
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (err) {
    throw new AvroFileError(path, (err as Error).message, { cause: err })
  }
  return parseAvroFile(data, path)
}

export function parseAvroFile (input: Buffer, path: string): AvroFile {
  try {
    let data = input
    if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data, { maxOutputLength: MAX_FILE_BYTES })
    if (data.length < MAGIC.length + SYNC_SIZE || !data.subarray(0, 4).equals(MAGIC)) {
      throw new AvroFileError(path, 'not an Avro object container file (bad magic)')
    }
    const c: Cursor = { buf: data, pos: 4, end: data.length, items: 1_000_000 }
    const meta = new Map<string, Buffer>()
    let n: number
    while ((n = readSize(c)) !== 0) {
      if (n < 0) {
        n = -n
        readLength(c)
      }
      for (let i = 0; i < n; i++) meta.set(readString(c), readBytes(c))
    }
    const schemaBytes = meta.get('avro.schema')
    if (schemaBytes === undefined) throw new AvroFileError(path, 'header has no avro.schema')
    const codec = meta.get('avro.codec')?.toString('utf8') ?? 'null'
    if (!['null', 'deflate', 'snappy'].includes(codec)) throw new AvroFileError(path, `unsupported codec ${codec}`)
    if (c.end - c.pos < SYNC_SIZE) throw new AvroFileError(path, 'header ends before its sync marker')
    const sync = data.subarray(c.pos, c.pos + SYNC_SIZE)
    c.pos += SYNC_SIZE
    const schemaText = schemaBytes.toString('utf8')
    fileSchemas ??= new SchemaCache({ maxSchemas: 64 })
    const schema = fileSchemas.fromText(schemaText)

    const records: Buffer[] = []
    let block = 0
    while (c.pos < c.end) {
      const count = readSize(c)
      const size = readLength(c)
      if (count < 0) throw new AvroFileError(path, `block ${block}: negative record count`)
      const raw = data.subarray(c.pos, c.pos + size)
      c.pos += size
      if (c.end - c.pos < SYNC_SIZE || !data.subarray(c.pos, c.pos + SYNC_SIZE).equals(sync)) {
        throw new AvroFileError(path, `block ${block}: sync marker missing (corrupt or truncated file)`)
      }
      c.pos += SYNC_SIZE
      splitBlock(decompress(raw, codec, path, block), count, schema, records, path, block)
      block++
    }
    return { schemaText, codec, records }
  } catch (err) {
    if (err instanceof AvroFileError) throw err
    throw new AvroFileError(path, (err as Error).message, { cause: err })
  }
}

function decompress (raw: Buffer, codec: string, path: string, block: number): Buffer {
  if (codec === 'null') return raw
  if (codec === 'deflate') return inflateRawSync(raw, { maxOutputLength: MAX_BLOCK_BYTES })
  // snappy: the compressed block, then a big-endian CRC-32 of the uncompressed data.
  if (raw.length < 4) throw new AvroFileError(path, `block ${block}: snappy block shorter than its CRC`)
  const u8 = snappy.uncompress(raw.subarray(0, raw.length - 4), MAX_BLOCK_BYTES)
  const out = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
  const crc32 = (zlib as { crc32?: (b: Buffer) => number }).crc32
  if (crc32 !== undefined && crc32(out) !== raw.readUInt32BE(raw.length - 4)) {
    throw new AvroFileError(path, `block ${block}: snappy CRC mismatch`)
  }
  return out
}

function splitBlock (data: Buffer, count: number, schema: CachedSchema, records: Buffer[], path: string, block: number): void {
  const c: Cursor = { buf: data, pos: 0, end: data.length, items: 64 * 1024 * 1024 }
  for (let i = 0; i < count; i++) {
    const start = c.pos
    try {
      schema.reader.read(c)
    } catch (err) {
      const reason = err instanceof DecodeError ? err.message : String(err)
      throw new AvroFileError(path, `block ${block} record ${i}: ${reason}`, { cause: err })
    }
    records.push(data.subarray(start, c.pos))
  }
  if (c.pos !== c.end) throw new AvroFileError(path, `block ${block}: ${c.end - c.pos} bytes after its ${count} records`)
}
