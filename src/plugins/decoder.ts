import fp from 'fastify-plugin'
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import { AlertDecoder, DecodeError, SchemaCache, errorItemJson, itemJson, type ItemOptions, type KafkaRecord } from '../avro/index.js'
import type { GatewayMetrics } from '../metrics.js'

/**
 * The app's alert decoding: one schema cache (schemas dir = SCHEMAS_DIR, else the project's
 * `schemas/`), one decoder, and `item()` which turns a Kafka record into the contract's item
 * JSON text — or into an error item when it cannot be decoded, so that a stream goes on.
 */
export class Decoding {
  readonly cache: SchemaCache
  readonly decoder: AlertDecoder

  constructor (cache: SchemaCache, private readonly metrics: GatewayMetrics, private readonly log: FastifyBaseLogger) {
    this.cache = cache
    this.decoder = new AlertDecoder(cache)
  }

  /** The item JSON text of one record (never throws for a bad message: an error item instead). */
  async item (record: KafkaRecord, opts: ItemOptions): Promise<string> {
    try {
      return itemJson(await this.decoder.decode(record), opts)
    } catch (err) {
      const decodeError = err instanceof DecodeError
        ? err
        : new DecodeError('FG_DECODE_INVALID', err instanceof Error ? err.message : String(err), {
          location: { topic: record.topic, partition: record.partition, offset: record.offset }, cause: err
        })
      this.metrics.decodeErrorsTotal.inc({ topic: record.topic, code: decodeError.code })
      this.log.warn({ err: { code: decodeError.code, message: decodeError.message }, topic: record.topic, partition: record.partition, offset: record.offset }, 'alert could not be decoded')
      return errorItemJson(record, decodeError)
    }
  }

  /** Items of several records, in order. */
  async items (records: readonly KafkaRecord[], opts: ItemOptions): Promise<string[]> {
    const out: string[] = new Array(records.length)
    for (let i = 0; i < records.length; i++) out[i] = await this.item(records[i] as KafkaRecord, opts)
    return out
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    decoder: Decoding
  }
}

const decoder: FastifyPluginAsync = async (fastify) => {
  const config = fastify.config
  const cache = new SchemaCache({
    ...(config.SCHEMAS_DIR !== undefined ? { schemasDir: config.SCHEMAS_DIR } : {}),
    ...(config.DEFAULT_SCHEMA !== undefined ? { defaultSchemaPath: config.DEFAULT_SCHEMA } : {}),
    ...(config.SCHEMA_REGISTRY_URL !== undefined ? { registryUrl: config.SCHEMA_REGISTRY_URL } : {})
  })
  fastify.decorate('decoder', new Decoding(cache, fastify.metrics, fastify.log.child({ component: 'decoder' })))
}

export default fp(decoder, { name: 'decoder', fastify: '5.x' })
