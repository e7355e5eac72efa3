/**
 * The retention gap check made when a session is opened: the resume point the client asked for
 * — its cursor, else its group's committed offsets (when it gave no `start`) — compared with
 * what Kafka still holds. A gap is reported to the client instead of a silent jump forward.
 * Best effort: when Kafka does not answer the look-up, no warning (the session goes on).
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Principal } from '../auth/principal.js'
import { retentionGaps, setPosition, type Positions, type RetentionGap } from '../cursor/index.js'
import type { StartPosition } from '../kafka/session.js'

const LOOKUP_TIMEOUT_MS = 3000

export interface RetentionCheck {
  topics: readonly string[]
  groupId: string | null
  start: StartPosition | undefined
  resume: Positions | undefined
  principal: Principal
  log: FastifyBaseLogger
}

export async function checkRetention (fastify: FastifyInstance, check: RetentionCheck): Promise<RetentionGap[]> {
  const credentials = check.principal.credentials
  const admin = fastify.kafkaAdmin
  try {
    const requested: Positions = new Map()
    const low: Positions = new Map()
    if (check.resume !== undefined) {
      for (const [topic, partitions] of check.resume) {
        for (const [partition, next] of partitions) {
          setPosition(requested, topic, partition, next)
          const w = await admin.watermarks(topic, partition, credentials, LOOKUP_TIMEOUT_MS)
          if (w.low >= 0) setPosition(low, topic, partition, w.low)
        }
      }
    } else if (check.groupId !== null && check.start === undefined) {
      for (const topic of check.topics) {
        for (const p of await admin.groupOffsets(topic, check.groupId, credentials, LOOKUP_TIMEOUT_MS)) {
          if (p.committed === null) continue
          setPosition(requested, topic, p.partition, p.committed)
          if (p.low >= 0) setPosition(low, topic, p.partition, p.low)
        }
      }
    }
    const gaps = retentionGaps(requested, low)
    if (gaps.length > 0) check.log.warn({ gaps }, 'resume point before what Kafka still holds: alerts were lost')
    return gaps
  } catch (err) {
    check.log.debug({ err }, 'retention gap check failed (no warning given)')
    return []
  }
}

/** The status frame (WebSocket, SSE) of a retention gap. */
export function retentionWarning (gaps: readonly RetentionGap[]): Record<string, unknown> {
  return {
    state: 'warning',
    warning: 'retention_gap',
    message: `${gaps.reduce((n, g) => n + g.lost, 0)} alerts were deleted by Kafka's retention before they were read; reading resumes at the oldest alert still held`,
    partitions: gaps
  }
}
