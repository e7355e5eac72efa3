import type { ConsumerGlobalConfig, GlobalConfig } from 'node-rdkafka'
import type { Config } from '../config.js'

/** A Kafka user's SASL credentials (AUTH_MODE=kafka), or null for the gateway's own identity. */
export type KafkaCredentials = { username: string, password: string } | null

/**
 * librdkafka settings shared by every client the gateway opens: brokers, security and the
 * timeouts that make an unreachable cluster show up within a request's timeout rather than
 * minutes later. No `event_cb` (it has leaked memory in long-running servers, node-rdkafka#731).
 */
export function connectionOptions (config: Config, credentials: KafkaCredentials): GlobalConfig {
  const options: GlobalConfig = {
    'bootstrap.servers': config.KAFKA_BROKERS,
    'client.id': 'fink-gateway',
    'security.protocol': config.KAFKA_SECURITY_PROTOCOL as GlobalConfig['security.protocol'],
    'socket.timeout.ms': 10000,
    'socket.connection.setup.timeout.ms': 5000,
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 2000,
    'topic.metadata.refresh.interval.ms': 30000,
    'log.connection.close': false,
    // node-rdkafka turns the event callback on unless told not to; it has leaked (node-rdkafka#731).
    event_cb: false
  }
  if (config.KAFKA_SECURITY_PROTOCOL !== 'plaintext') {
    const user = credentials ?? (config.KAFKA_USERNAME !== undefined && config.KAFKA_PASSWORD !== undefined
      ? { username: config.KAFKA_USERNAME, password: config.KAFKA_PASSWORD }
      : null)
    options['sasl.mechanisms'] = config.KAFKA_SASL_MECHANISM
    if (user !== null) {
      options['sasl.username'] = user.username
      options['sasl.password'] = user.password
    }
  }
  if (config.KAFKA_SSL_CA_LOCATION !== undefined) options['ssl.ca.location'] = config.KAFKA_SSL_CA_LOCATION
  return options
}

/**
 * The name of a consumer group the gateway creates on a user's behalf (a stream's throw-away
 * group, permalink reads). In AUTH_MODE=kafka it starts with KAFKA_USER_GROUP_PREFIX (`{user}`
 * replaced by the user's name): groups outside the user's own namespace would be refused by
 * per-user group ACLs. Groups a client names are never renamed.
 */
export function gatewayGroupId (config: Config, credentials: KafkaCredentials, name: string): string {
  if (config.AUTH_MODE !== 'kafka' || credentials === null) return name
  return config.KAFKA_USER_GROUP_PREFIX.replaceAll('{user}', credentials.username) + name
}

/** Largest alert we expect is ~80 KB; a fetch of 4 MB holds about fifty of them. */
export const FETCH_BYTES = 4 * 1024 * 1024
/** librdkafka's `fetch.max.bytes`: one fetch response in flight per broker connection. */
export const FETCH_MAX_BYTES = 2 * FETCH_BYTES

/**
 * One client session's consumer. Offsets are stored and committed by the session after
 * delivery only (auto commit and auto offset store off); prefetch per consumer is bounded by
 * CONSUMER_QUEUE_KBYTES; `fetch.queue.backoff.ms` is low so a full prefetch queue does not
 * stall fetching for a second (librdkafka#2879); the classic group protocol because
 * node-rdkafka 3.6 stalls under KIP-848 (node-rdkafka#1146). `max.poll.interval.ms` exceeds
 * the REST idle time plus the longest request, so an idle REST session is closed by the
 * gateway before Kafka evicts it from its group.
 */
export function consumerOptions (config: Config, opts: {
  groupId: string
  credentials: KafkaCredentials
  rebalance?: ConsumerGlobalConfig['rebalance_cb']
  offsetCommit?: ConsumerGlobalConfig['offset_commit_cb']
}): ConsumerGlobalConfig {
  const maxPollMs = Math.max(300000, Math.ceil((config.REST_SESSION_IDLE_SECONDS + config.MAX_TIMEOUT_SECONDS + 60) * 1000))
  const options: ConsumerGlobalConfig = {
    ...connectionOptions(config, opts.credentials),
    'group.id': opts.groupId,
    'group.protocol': 'classic',
    'partition.assignment.strategy': 'range,roundrobin',
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'enable.partition.eof': false,
    'allow.auto.create.topics': false,
    'session.timeout.ms': 30000,
    'heartbeat.interval.ms': 3000,
    'max.poll.interval.ms': maxPollMs,
    'queued.max.messages.kbytes': config.CONSUMER_QUEUE_KBYTES,
    'queued.min.messages': 1000,
    'fetch.message.max.bytes': FETCH_BYTES,
    'max.partition.fetch.bytes': FETCH_BYTES,
    'fetch.max.bytes': FETCH_MAX_BYTES,
    'fetch.wait.max.ms': 100,
    'fetch.queue.backoff.ms': 20,
    'fetch.error.backoff.ms': 100
  }
  if (opts.rebalance !== undefined) options.rebalance_cb = opts.rebalance
  if (opts.offsetCommit !== undefined) options.offset_commit_cb = opts.offsetCommit
  return options
}
