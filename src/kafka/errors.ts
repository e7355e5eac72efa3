import rdkafka from 'node-rdkafka'
import { Forbidden, GatewayError, KafkaUnavailable, TopicNotFound, Unauthorized, SessionBusy, TooManySessions, ShuttingDown } from '../errors.js'

const E = rdkafka.CODES.ERRORS

/** Kafka-side failure of a session or an admin look-up, with the FG_ code a client will see. */
export class KafkaError extends GatewayError {}

function codeOf (err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number'
    ? (err as { code: number }).code
    : undefined
}

/**
 * Turns a librdkafka error into a KafkaError whose code says what the client can do about it.
 * Anything not recognised is "Kafka unavailable" (503, retry later): the cluster or the network
 * failed, not the client's request.
 */
export function kafkaError (err: unknown, context: string): KafkaError {
  if (err instanceof KafkaError) return err
  const code = codeOf(err)
  const detail = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err)
  switch (code) {
    case E.ERR_UNKNOWN_TOPIC_OR_PART:
    case E.ERR__UNKNOWN_TOPIC:
    case E.ERR__UNKNOWN_PARTITION:
      return new KafkaError('FG_TOPIC_NOT_FOUND', `${context}: ${detail}`, { cause: err })
    case E.ERR_TOPIC_AUTHORIZATION_FAILED:
    case E.ERR_GROUP_AUTHORIZATION_FAILED:
      return new KafkaError('FG_FORBIDDEN', `${context}: Kafka refused access (${detail})`, { cause: err })
    case E.ERR__AUTHENTICATION:
    case E.ERR_SASL_AUTHENTICATION_FAILED:
      return new KafkaError('FG_UNAUTHORIZED', `${context}: Kafka refused the credentials`, { cause: err })
    default:
      return new KafkaError('FG_KAFKA_UNAVAILABLE', `${context}: ${detail}`, { canRetry: true, cause: err })
  }
}

/** True for librdkafka errors that are passing states (a broker reconnecting, a poll timing out). */
export function isTransient (err: unknown): boolean {
  const code = codeOf(err)
  return code === E.ERR__TIMED_OUT || code === E.ERR__TRANSPORT || code === E.ERR__ALL_BROKERS_DOWN ||
    code === E.ERR__PARTITION_EOF || code === E.ERR__MSG_TIMED_OUT || code === E.ERR__RESOLVE ||
    code === E.ERR_NOT_COORDINATOR || code === E.ERR_COORDINATOR_NOT_AVAILABLE ||
    code === E.ERR_COORDINATOR_LOAD_IN_PROGRESS || code === E.ERR_REBALANCE_IN_PROGRESS ||
    code === E.ERR_NOT_LEADER_FOR_PARTITION || code === E.ERR_LEADER_NOT_AVAILABLE
}

/** The HTTP error (statusCode + FG_ code) for a GatewayError raised below the routes. */
export function httpErrorFor (err: GatewayError): Error {
  switch (err.code) {
    case 'FG_TOPIC_NOT_FOUND': return new TopicNotFound(err.message)
    case 'FG_FORBIDDEN': return new Forbidden(err.message)
    case 'FG_UNAUTHORIZED': return new Unauthorized(err.message)
    case 'FG_SESSION_BUSY': return new SessionBusy(err.message)
    case 'FG_TOO_MANY_SESSIONS': return new TooManySessions(err.message)
    case 'FG_KAFKA_UNAVAILABLE': return new KafkaUnavailable(err.message)
    case 'FG_SHUTTING_DOWN': return new ShuttingDown(err.message)
    default: return err
  }
}
