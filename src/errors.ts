import createError from '@fastify/error'

/**
 * Every error a client can see has a stable `FG_…` code; the message says what to change.
 * HTTP errors are built with @fastify/error so Fastify serialises them as
 * `{"statusCode","code","error","message"}`.
 */
export const BadParameter = createError('FG_BAD_PARAMETER', '%s', 400)
export const Unauthorized = createError('FG_UNAUTHORIZED', '%s', 401)
export const Forbidden = createError('FG_FORBIDDEN', '%s', 403)
export const TopicNotFound = createError('FG_TOPIC_NOT_FOUND', '%s', 404)
export const NotFound = createError('FG_NOT_FOUND', '%s', 404)
export const SessionBusy = createError('FG_SESSION_BUSY', '%s', 409)
export const TooManySessions = createError('FG_TOO_MANY_SESSIONS', '%s', 429)
export const RateLimited = createError('FG_RATE_LIMITED', '%s', 429)
export const KafkaUnavailable = createError('FG_KAFKA_UNAVAILABLE', '%s', 503)
export const ShuttingDown = createError('FG_SHUTTING_DOWN', '%s', 503)
/** A WebSocket client message that is not valid JSON or not a known message (error frame; the connection stays). */
export const BadMessage = createError('FG_BAD_MESSAGE', '%s', 400)
/** A plain HTTP request to a WebSocket endpoint. */
export const UpgradeRequired = createError('FG_UPGRADE_REQUIRED', '%s', 426)
/** A WebSocket ack for an offset that was never sent on this connection. */
export const BadAck = createError('FG_BAD_ACK', '%s', 400)

/** Base of the errors raised below HTTP (Kafka, Avro): a stable code and whether a retry may help. */
export class GatewayError extends Error {
  readonly code: string
  readonly canRetry: boolean

  constructor (code: string, message: string, options: { canRetry?: boolean, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.canRetry = options.canRetry ?? false
  }
}
