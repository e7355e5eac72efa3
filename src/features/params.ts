/**
 * The query parameters of the features of issue 8, shared by /poll, /consume, /ws and /sse:
 * `filter`, `until`, `cursor` (and on /sse the `Last-Event-ID` header) and `format`. All are
 * checked before any consumer is created: a malformed one is a 400 (FG_BAD_FILTER with the
 * position of the mistake, FG_BAD_CURSOR, FG_BAD_PARAMETER).
 */
import { Type } from '@sinclair/typebox'
import { BadParameter } from '../errors.js'
import { compileFilter, FILTER_PARAMETER_DESCRIPTION, type AlertPredicate } from '../filter/index.js'
import { assertCursorTopics, CURSOR_PARAMETER_DESCRIPTION, resumePositions, type Positions } from '../cursor/index.js'
import { parseStart, single, type Query } from '../routes/params.js'
import type { StartPosition } from '../kafka/session.js'

export type ItemFormat = 'json' | 'avro'

export interface FeatureParams {
  /** The compiled `filter`, or null for every alert. */
  filter: AlertPredicate | null
  /** `until` as epoch ms (inclusive): alerts with a later timestamp are neither delivered nor committed. */
  until: number | null
  /** Where to resume: from `cursor` (or Last-Event-ID on /sse). */
  resume: Positions | undefined
  format: ItemFormat
}

export const UNTIL_PARAMETER_DESCRIPTION =
  'Bounded replay: the last timestamp to deliver (ISO 8601 or epoch milliseconds, inclusive; after `start` when both are times). ' +
  'A partition is finished when its next alert is later than `until`, or when it is read up to its high watermark and `until` has passed. ' +
  'Once every assigned partition is finished, /consume returns with "end_of_stream": true, /poll answers 204 with `Fink-End-Of-Stream: true`, ' +
  'and streams send {"type":"status","state":"end_of_stream","end_of_stream":true} and close normally (WebSocket 1000, SSE `event: end`). ' +
  'Alerts after `until` are not delivered and not committed.'

export const FORMAT_PARAMETER_DESCRIPTION =
  '`json` (default): items carry the decoded `alert`. `avro`: items carry `value` (base64 of the exact Kafka message value: ' +
  'Confluent/Fink wire bytes as produced) and `schema` (the writer schema id, GET /schemas/{id}) instead of `alert`; ' +
  'on /ws, format=avro sends binary frames (see docs/asyncapi.yaml).'

/** The TypeBox members to spread into a route's querystring schema (OpenAPI). */
export const featureQuery = {
  filter: Type.Optional(Type.String({ description: FILTER_PARAMETER_DESCRIPTION, examples: ['candidate.magpsf < 18 and candidate.drb > 0.9'] })),
  until: Type.Optional(Type.String({ description: UNTIL_PARAMETER_DESCRIPTION, examples: ['2026-03-24T00:00:00Z'] })),
  cursor: Type.Optional(Type.String({ description: CURSOR_PARAMETER_DESCRIPTION })),
  format: Type.Optional(Type.String({ description: FORMAT_PARAMETER_DESCRIPTION, examples: ['json', 'avro'] }))
}

export function parseUntil (query: Query, start: StartPosition | undefined): number | null {
  const raw = single(query, 'until')
  if (raw === undefined || raw === '') return null
  let parsed: StartPosition | undefined
  try {
    parsed = parseStart({ start: raw })
  } catch {
    parsed = undefined
  }
  if (parsed?.kind !== 'time') {
    throw new BadParameter(`until=${JSON.stringify(raw)} is not an ISO 8601 time (2026-03-23T12:00:00Z) or epoch milliseconds (1774267200000)`)
  }
  if (start?.kind === 'time' && parsed.ms <= start.ms) {
    throw new BadParameter(`until=${raw} is not after start (${new Date(start.ms).toISOString()}): give a later until`)
  }
  return parsed.ms
}

export function parseFormat (query: Query): ItemFormat {
  const raw = single(query, 'format') ?? 'json'
  if (raw !== 'json' && raw !== 'avro') throw new BadParameter(`format=${JSON.stringify(raw)} is not json or avro`)
  return raw
}

/**
 * `filter`, `until`, `cursor`/Last-Event-ID and `format`. Throws FilterSyntaxError (400
 * FG_BAD_FILTER), CursorError (400 FG_BAD_CURSOR) or BadParameter (400).
 */
export function parseFeatureParams (query: Query, topics: readonly string[], start: StartPosition | undefined,
  lastEventId?: string | string[] | undefined): FeatureParams {
  const source = single(query, 'filter')
  const filter = source === undefined || source.trim() === '' ? null : compileFilter(source)
  const resume = resumePositions({ cursor: single(query, 'cursor'), lastEventId })
  if (resume !== undefined) assertCursorTopics(resume, topics)
  return { filter, until: parseUntil(query, start), resume, format: parseFormat(query) }
}
