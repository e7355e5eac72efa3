import { GatewayError } from '../errors.js'

/** Stable codes of the ways one Kafka message can fail to decode. */
export const DecodeCode = {
  /** The message has no value, or an empty one. */
  EMPTY: 'FG_DECODE_EMPTY',
  /** No schema applies: unknown version key, no default schema, unknown registry id. */
  UNKNOWN_SCHEMA: 'FG_DECODE_UNKNOWN_SCHEMA',
  /** The key (or registry answer) holds a schema that cannot be parsed. */
  BAD_SCHEMA: 'FG_DECODE_BAD_SCHEMA',
  /** The value ends before the schema says it should. */
  TRUNCATED: 'FG_DECODE_TRUNCATED',
  /** Bytes are left after the record: the value does not match the schema. */
  TRAILING_BYTES: 'FG_DECODE_TRAILING_BYTES',
  /** A declared length or count exceeds what the value or the limits allow. */
  TOO_LARGE: 'FG_DECODE_TOO_LARGE',
  /** Invalid data: negative length, union or enum index out of range, over-long varint. */
  INVALID: 'FG_DECODE_INVALID',
  /** The Schema Registry could not be reached or answered badly; a retry may help. */
  REGISTRY: 'FG_DECODE_REGISTRY'
} as const

export type DecodeCodeValue = typeof DecodeCode[keyof typeof DecodeCode]

/** Where a message came from, for error messages. */
export interface MessageLocation { topic: string, partition: number, offset: number }

/**
 * One Kafka message could not be decoded. The message names topic, partition and offset so a
 * user can find the alert; the stream goes on with an error item.
 */
export class DecodeError extends GatewayError {
  override readonly code: DecodeCodeValue
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: number | undefined

  constructor (code: DecodeCodeValue, message: string,
    options: { location?: MessageLocation, canRetry?: boolean, cause?: unknown } = {}) {
    const where = options.location
    super(code, where === undefined
      ? message
      : `${where.topic} partition ${where.partition} offset ${where.offset}: ${message}`,
    { canRetry: options.canRetry ?? code === DecodeCode.REGISTRY, cause: options.cause })
    this.code = code
    this.topic = where?.topic
    this.partition = where?.partition
    this.offset = where?.offset
  }

  /** The same error, now naming the message it happened in. */
  at (location: MessageLocation): DecodeError {
    if (this.topic !== undefined) return this
    return new DecodeError(this.code, this.message, { location, canRetry: this.canRetry, cause: this.cause })
  }
}

/** A container file (.avro, .avro.gz) that cannot be read. */
export class AvroFileError extends GatewayError {
  readonly path: string
  constructor (path: string, message: string, options: { cause?: unknown } = {}) {
    super('FG_AVRO_BAD_FILE', `${path}: ${message}`, options)
    this.path = path
  }
}
