import { DecodeCode, DecodeError, type MessageLocation } from './decode-error.js'
import { isVersionKey, type CachedSchema, type SchemaCache } from './schema-cache.js'

/** A Kafka message as the consumers hand it over. */
export interface KafkaRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number | undefined
  key: Buffer | null | undefined
  value: Buffer | null | undefined
}

export interface DecodedAlert {
  record: KafkaRecord
  schema: CachedSchema
  /** The key as text, or null when the key is a schema (or absent). */
  key: string | null
  /** The avsc-style value: longs as bigint, bytes as Buffer, unions unwrapped. */
  alert: unknown
  /** The schemaless Avro body inside `record.value` (after a Confluent prefix, if any). */
  body: Buffer
}

const OPEN_BRACE = 0x7b
const CONFLUENT_MAGIC = 0
const CONFLUENT_HEADER = 5

/** Where a key's schema came from: the first byte that is not JSON whitespace is `{` or `"`. */
function keyLooksLikeSchema (key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) {
    const b = key[i]
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue
    return b === OPEN_BRACE || b === 0x22 || b === 0x5b
  }
  return false
}

function location (record: KafkaRecord): MessageLocation {
  return { topic: record.topic, partition: record.partition, offset: record.offset }
}

/**
 * Decodes Fink messages. The schema comes, in this order, from: the key holding the schema
 * JSON; the key holding a Fink version string (a shipped .avsc, or its `_replayed` variant);
 * a Confluent-framed value (magic byte 0 + 4-byte id, with a registry configured); the
 * configured default schema. Anything else is a DecodeError naming the message.
 */
export class AlertDecoder {
  readonly cache: SchemaCache

  constructor (cache: SchemaCache) {
    this.cache = cache
  }

  decode (record: KafkaRecord): DecodedAlert | Promise<DecodedAlert> {
    try {
      const value = record.value
      if (value === null || value === undefined || value.length === 0) {
        throw new DecodeError(DecodeCode.EMPTY, value == null ? 'message has no value' : 'message value is empty')
      }
      const key = record.key
      if (key !== null && key !== undefined && key.length > 0) {
        if (keyLooksLikeSchema(key)) return this.decodeWith(record, this.cache.fromKeyBytes(key), null, value)
        const text = key.toString('utf8')
        if (isVersionKey(text)) {
          const schema = this.cache.byVersion(text)
          if (schema === undefined) {
            throw new DecodeError(DecodeCode.UNKNOWN_SCHEMA, `no schema file for the version key "${text}" in ${this.cache.schemasDir}`)
          }
          return this.decodeWith(record, schema, text, value)
        }
        return this.decodeUnkeyed(record, text, value)
      }
      return this.decodeUnkeyed(record, null, value)
    } catch (err) {
      throw asDecodeError(err, record)
    }
  }

  /** No usable key: Confluent framing, else the default schema. */
  private decodeUnkeyed (record: KafkaRecord, key: string | null, value: Buffer): DecodedAlert | Promise<DecodedAlert> {
    const framed = value.length > CONFLUENT_HEADER && value[0] === CONFLUENT_MAGIC
    if (framed && (this.cache.registryUrl !== undefined || this.cache.defaultSchema === undefined)) {
      const id = value.readUInt32BE(1)
      const body = value.subarray(CONFLUENT_HEADER)
      const schema = this.cache.fromRegistry(id)
      if (!(schema instanceof Promise)) return this.decodeWith(record, schema, key, body)
      return schema.then((s) => this.decodeWith(record, s, key, body), (err: unknown) => { throw asDecodeError(err, record) })
    }
    const fallback = this.cache.defaultSchema
    if (fallback === undefined) {
      throw new DecodeError(DecodeCode.UNKNOWN_SCHEMA, 'the key names no schema and no default schema is configured (DEFAULT_SCHEMA)')
    }
    return this.decodeWith(record, fallback, key, value)
  }

  private decodeWith (record: KafkaRecord, schema: CachedSchema, key: string | null, body: Buffer): DecodedAlert {
    try {
      return { record, schema, key, alert: schema.reader.decode(body), body }
    } catch (err) {
      throw asDecodeError(err, record)
    }
  }
}

function asDecodeError (err: unknown, record: KafkaRecord): DecodeError {
  if (err instanceof DecodeError) return err.at(location(record))
  // A bug or an unexpected failure in a dependency: still only this message's error.
  return new DecodeError(DecodeCode.INVALID, (err as Error)?.message ?? String(err), { location: location(record), cause: err })
}
