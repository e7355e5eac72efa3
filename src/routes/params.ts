/**
 * The query parameters shared by /poll, /consume, /ws (and later /sse): their TypeBox schemas
 * for the OpenAPI document, and their parsing. Every parameter is declared as a string and
 * checked here, so that a malformed or out-of-range value gets 400 FG_BAD_PARAMETER with a
 * message naming the parameter, what was wrong and what to send instead — never a silent clamp.
 * Unknown parameters are ignored (other layers read some, e.g. `ticket`).
 */
import { Type, type Static } from '@sinclair/typebox'
import type { Config } from '../config.js'
import { BadParameter } from '../errors.js'
import { parseExclude, type ItemOptions } from '../avro/index.js'
import type { StartPosition } from '../kafka/session.js'

const MAX_TOPICS = 50
const MAX_GROUP_ID_LENGTH = 249
/** Kafka's own rule for topic names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/
const EPOCH_MS = /^\d{1,15}$/
const DECIMAL = /^\d{1,6}(?:\.\d{1,6})?$/
const INTEGER = /^\d{1,9}$/
/** Groups the gateway makes for itself; a client may not borrow them. */
export const RESERVED_GROUP_PREFIX = 'fink-gateway-'

export const DEFAULT_POLL_TIMEOUT_SECONDS = 5
export const DEFAULT_CONSUME_TIMEOUT_SECONDS = 30
export const DEFAULT_NUM_ALERTS = 10

const str = (description: string, examples?: string[]): ReturnType<typeof Type.String> =>
  Type.String({ description, ...(examples !== undefined ? { examples } : {}) })

const common = {
  // Declared optional so that a missing value reaches parseTopics and gets its FG_BAD_PARAMETER message.
  topics: Type.Optional(str('Comma-separated topic names (required).', ['fink_sn_candidates_ztf'])),
  start: Type.Optional(str('Where a new session starts: earliest, latest, an ISO 8601 time or epoch milliseconds. Without it: the group\'s committed offsets, else earliest.', ['earliest', '2026-03-23T00:00:00Z'])),
  exclude: Type.Optional(str('Comma-separated top-level alert fields to drop; `cutouts` means the three cutouts.', ['cutouts'])),
  int64: Type.Optional(str('How 64-bit integers are written: `number` (exact digits, default) or `string`.', ['number', 'string']))
}

export const PollQuery = Type.Object({
  ...common,
  group_id: Type.Optional(str('The Kafka consumer group of this client session (required).', ['my-group'])),
  timeout: Type.Optional(str(`Seconds to wait for an alert (decimal allowed; default ${DEFAULT_POLL_TIMEOUT_SECONDS}).`, ['5']))
}, { additionalProperties: true })

export const ConsumeQuery = Type.Object({
  ...common,
  group_id: Type.Optional(str('The Kafka consumer group of this client session (required).', ['my-group'])),
  num_alerts: Type.Optional(str(`Most alerts to return (default ${DEFAULT_NUM_ALERTS}).`, ['10'])),
  timeout: Type.Optional(str(`Seconds to wait for num_alerts alerts (decimal allowed; default ${DEFAULT_CONSUME_TIMEOUT_SECONDS}).`, ['30']))
}, { additionalProperties: true })

export const StreamQuery = Type.Object({
  ...common,
  group_id: Type.Optional(str('The Kafka consumer group; without it a throw-away group that starts at latest.', ['my-group'])),
  ack: Type.Optional(str('`auto` (default): offsets are committed once a frame is sent; `manual`: only offsets the client acknowledges.', ['auto', 'manual']))
}, { additionalProperties: true })

export type PollQueryType = Static<typeof PollQuery>
export type ConsumeQueryType = Static<typeof ConsumeQuery>
export type StreamQueryType = Static<typeof StreamQuery>

export type Query = Record<string, unknown>

/** The one value of a query parameter; a parameter given twice is an error, not a guess. */
export function single (query: Query, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (Array.isArray(value)) throw new BadParameter(`${name} is given ${value.length} times; give it once`)
  return String(value)
}

export function parseTopics (query: Query): string[] {
  const raw = single(query, 'topics')
  if (raw === undefined || raw.trim() === '') throw new BadParameter('topics is required: a comma-separated list of topic names, e.g. topics=fink_sn_candidates_ztf')
  const topics = [...new Set(raw.split(',').map((t) => t.trim()).filter((t) => t !== ''))]
  if (topics.length === 0) throw new BadParameter('topics is empty: give at least one topic name')
  if (topics.length > MAX_TOPICS) throw new BadParameter(`topics names ${topics.length} topics; at most ${MAX_TOPICS} per session`)
  for (const topic of topics) {
    if (!TOPIC_NAME.test(topic)) throw new BadParameter(`topics: ${JSON.stringify(topic)} is not a valid Kafka topic name (letters, digits, '.', '_', '-')`)
  }
  return topics
}

export function parseGroupId (query: Query, required: boolean): string | null {
  const raw = single(query, 'group_id')
  if (raw === undefined || raw === '') {
    if (required) throw new BadParameter('group_id is required: the Kafka consumer group that remembers where you are, e.g. group_id=my-group')
    return null
  }
  // librdkafka treats a blank group.id as unset, and a padded one is not the group the user means.
  if (raw.trim() === '') throw new BadParameter('group_id is blank: give the name of your consumer group, e.g. group_id=my-group')
  if (raw !== raw.trim()) throw new BadParameter(`group_id ${JSON.stringify(raw)} starts or ends with white space; remove it`)
  if (raw.length > MAX_GROUP_ID_LENGTH) throw new BadParameter(`group_id is ${raw.length} characters long; at most ${MAX_GROUP_ID_LENGTH}`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new BadParameter('group_id contains control characters')
  if (raw.startsWith(RESERVED_GROUP_PREFIX)) throw new BadParameter(`group_id may not start with ${RESERVED_GROUP_PREFIX} (reserved for the gateway's own groups)`)
  return raw
}

export function parseStart (query: Query): StartPosition | undefined {
  const raw = single(query, 'start')
  if (raw === undefined) return undefined
  if (raw === 'earliest' || raw === 'latest') return { kind: raw }
  if (EPOCH_MS.test(raw)) return { kind: 'time', ms: Number(raw) }
  if (ISO_8601.test(raw)) {
    const ms = Date.parse(raw.length === 10 ? `${raw}T00:00:00Z` : raw)
    if (Number.isFinite(ms) && ms >= 0) return { kind: 'time', ms }
  }
  throw new BadParameter(`start=${JSON.stringify(raw)} is not earliest, latest, an ISO 8601 time (2026-03-23T12:00:00Z) or epoch milliseconds (1774267200000)`)
}

/** Seconds (decimal allowed) within [0, MAX_TIMEOUT_SECONDS], as milliseconds. */
export function parseTimeoutMs (query: Query, config: Config, defaultSeconds: number): number {
  const raw = single(query, 'timeout')
  const max = config.MAX_TIMEOUT_SECONDS
  if (raw === undefined) return Math.min(defaultSeconds, max) * 1000
  if (!DECIMAL.test(raw)) throw new BadParameter(`timeout=${JSON.stringify(raw)} is not a number of seconds; use e.g. timeout=5 (decimals allowed, at most ${max})`)
  const seconds = Number(raw)
  if (seconds > max) throw new BadParameter(`timeout=${raw} is above the maximum of ${max} seconds`)
  return Math.round(seconds * 1000)
}

export function parseNumAlerts (query: Query, config: Config): number {
  const raw = single(query, 'num_alerts')
  const max = config.MAX_NUM_ALERTS
  if (raw === undefined) return Math.min(DEFAULT_NUM_ALERTS, max)
  if (!INTEGER.test(raw)) throw new BadParameter(`num_alerts=${JSON.stringify(raw)} is not a whole number; use 1 to ${max}`)
  const n = Number(raw)
  if (n < 1 || n > max) throw new BadParameter(`num_alerts=${raw} is out of range; use 1 to ${max}`)
  return n
}

export function parseItemOptions (query: Query): ItemOptions {
  const int64 = single(query, 'int64') ?? 'number'
  if (int64 !== 'number' && int64 !== 'string') throw new BadParameter(`int64=${JSON.stringify(int64)} is not number or string`)
  const excludeRaw = single(query, 'exclude')
  if (excludeRaw !== undefined) {
    for (const name of excludeRaw.split(',').map((n) => n.trim()).filter((n) => n !== '')) {
      if (!FIELD_NAME.test(name)) throw new BadParameter(`exclude: ${JSON.stringify(name)} is not a field name; give top-level field names such as cutouts,prv_candidates`)
    }
  }
  return { int64, exclude: parseExclude(excludeRaw) }
}

export type AckMode = 'auto' | 'manual'

export function parseAck (query: Query): AckMode {
  const raw = single(query, 'ack') ?? 'auto'
  if (raw !== 'auto' && raw !== 'manual') throw new BadParameter(`ack=${JSON.stringify(raw)} is not auto or manual`)
  return raw
}

export interface ReadParams {
  topics: string[]
  groupId: string | null
  start: StartPosition | undefined
  item: ItemOptions
}

export interface PollParams extends ReadParams { groupId: string, timeoutMs: number }
export interface ConsumeParams extends PollParams { numAlerts: number }
export interface StreamParams extends ReadParams { ack: AckMode }

export function parsePollParams (query: Query, config: Config): PollParams {
  return {
    topics: parseTopics(query),
    groupId: parseGroupId(query, true) as string,
    start: parseStart(query),
    item: parseItemOptions(query),
    timeoutMs: parseTimeoutMs(query, config, DEFAULT_POLL_TIMEOUT_SECONDS)
  }
}

export function parseConsumeParams (query: Query, config: Config): ConsumeParams {
  return {
    topics: parseTopics(query),
    groupId: parseGroupId(query, true) as string,
    start: parseStart(query),
    item: parseItemOptions(query),
    timeoutMs: parseTimeoutMs(query, config, DEFAULT_CONSUME_TIMEOUT_SECONDS),
    numAlerts: parseNumAlerts(query, config)
  }
}

export function parseStreamParams (query: Query): StreamParams {
  return {
    topics: parseTopics(query),
    groupId: parseGroupId(query, false),
    start: parseStart(query),
    item: parseItemOptions(query),
    ack: parseAck(query)
  }
}
