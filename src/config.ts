import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * The gateway's whole configuration, read once from the environment at boot.
 * Every variable is documented in the README's "Operating" table; keep the two in step.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' }
  ),

  KAFKA_BROKERS: Type.String({ minLength: 1, default: 'localhost:9092' }),
  KAFKA_SECURITY_PROTOCOL: Type.Union(
    ['plaintext', 'sasl_plaintext', 'sasl_ssl'].map((l) => Type.Literal(l)),
    { default: 'plaintext' }
  ),
  KAFKA_SASL_MECHANISM: Type.Union(
    ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'].map((l) => Type.Literal(l)),
    { default: 'SCRAM-SHA-512' }
  ),
  KAFKA_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  /** CA bundle for sasl_ssl, when the brokers' certificates are not in the system store. */
  KAFKA_SSL_CA_LOCATION: Type.Optional(Type.String({ minLength: 1 })),

  AUTH_MODE: Type.Union([Type.Literal('none'), Type.Literal('kafka')], { default: 'none' }),
  /**
   * AUTH_MODE=kafka: put before the names of the consumer groups the gateway creates for a user
   * (streams without group_id, permalink reads), `{user}` being the user's name, so that they
   * fall inside the groups that user's ACLs allow.
   */
  KAFKA_USER_GROUP_PREFIX: Type.String({ maxLength: 120, pattern: '^[A-Za-z0-9._{}-]*$', default: '{user}.' }),
  /** Comma-separated origins allowed to open WebSockets and make CORS requests; empty: same-origin only. */
  ALLOWED_ORIGINS: Type.String({ default: '' }),

  /** Folder of Fink `.avsc` files, looked up by the version string in a message key. */
  SCHEMAS_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** A local `.avsc` used when a message's key names no schema (fink-client's `--schema`). */
  DEFAULT_SCHEMA: Type.Optional(Type.String({ minLength: 1 })),
  /** Confluent Schema Registry, for values framed with magic byte 0 and a schema id. */
  SCHEMA_REGISTRY_URL: Type.Optional(Type.String({ pattern: '^https?://' })),

  MAX_SESSIONS: Type.Integer({ minimum: 1, maximum: 100000, default: 500 }),
  MAX_SESSIONS_PER_PRINCIPAL: Type.Integer({ minimum: 1, maximum: 100000, default: 50 }),
  /** A REST session unused this long is closed; well under Kafka's max.poll.interval.ms. */
  REST_SESSION_IDLE_SECONDS: Type.Number({ minimum: 1, maximum: 3600, default: 60 }),
  MAX_TIMEOUT_SECONDS: Type.Number({ minimum: 1, maximum: 600, default: 60 }),
  MAX_NUM_ALERTS: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
  /** A WebSocket whose send buffer holds more than this pauses reading from Kafka. */
  WS_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 65536, maximum: 1073741824, default: 4 * 1024 * 1024 }),
  /** A WebSocket client that stays above the buffer bound this long is closed (4008). */
  WS_STALL_SECONDS: Type.Number({ minimum: 1, maximum: 3600, default: 60 }),
  WS_PING_SECONDS: Type.Number({ minimum: 1, maximum: 300, default: 25 }),
  /** Largest message a WebSocket client may send (acks, control frames). */
  WS_MAX_CLIENT_MESSAGE_BYTES: Type.Integer({ minimum: 256, maximum: 1048576, default: 16384 }),
  /** Requests per second allowed to one principal (or address when AUTH_MODE=none). */
  RATE_LIMIT_PER_SECOND: Type.Number({ minimum: 0.1, maximum: 100000, default: 50 }),
  /** librdkafka's prefetch bound per consumer, in kilobytes. */
  CONSUMER_QUEUE_KBYTES: Type.Integer({ minimum: 256, maximum: 1048576, default: 4096 }),
  SHUTDOWN_GRACE_SECONDS: Type.Number({ minimum: 1, maximum: 120, default: 20 }),
  TICKET_TTL_SECONDS: Type.Number({ minimum: 5, maximum: 3600, default: 60 })
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Parses the environment into a Config. Throws a ConfigError whose message is one line naming
 * the variable and what is wrong with it, so a bad deployment fails loudly at start-up.
 */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw))
  const first = Value.Errors(ConfigSchema, withDefaults).First()
  if (first !== undefined) {
    const name = first.path.replace(/^\//, '')
    const given = env[name]
    throw new ConfigError(`${name}=${JSON.stringify(given)} is invalid: ${first.message}`)
  }
  const config = withDefaults as Config
  if (config.KAFKA_SECURITY_PROTOCOL !== 'plaintext' && config.AUTH_MODE === 'none' &&
    (config.KAFKA_USERNAME === undefined || config.KAFKA_PASSWORD === undefined)) {
    throw new ConfigError(`KAFKA_USERNAME and KAFKA_PASSWORD are required when KAFKA_SECURITY_PROTOCOL=${config.KAFKA_SECURITY_PROTOCOL} and AUTH_MODE=none`)
  }
  if (config.AUTH_MODE === 'kafka' && config.KAFKA_SECURITY_PROTOCOL === 'plaintext') {
    throw new ConfigError('AUTH_MODE=kafka needs KAFKA_SECURITY_PROTOCOL=sasl_plaintext or sasl_ssl: client credentials are Kafka SASL credentials')
  }
  return config
}

export function allowedOrigins (config: Config): string[] {
  return config.ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter((o) => o.length > 0)
}
