/**
 * SSE resumption: each alert event's `id:` is its cursor, so a reconnecting `EventSource` sends
 * it back as `Last-Event-ID` and the stream resumes exactly after the last alert it received.
 */
import { decodeCursor, encodeCursor } from './codec.js'
import { CursorError } from './cursor-error.js'
import type { Positions } from './positions.js'

/** The `id:` field of an SSE alert event: the cursor (base64url never holds CR, LF or NUL). */
export function sseEventId (positions: Positions): string {
  return encodeCursor(positions)
}

/**
 * Where a request resumes: the `Last-Event-ID` header when present (a reconnection is newer than
 * the URL it repeats), else the `cursor` query parameter, else undefined (start as usual).
 * Throws CursorError for a malformed one.
 */
export function resumePositions (input: { cursor?: string | undefined, lastEventId?: string | string[] | undefined }): Positions | undefined {
  const { lastEventId } = input
  if (Array.isArray(lastEventId) && lastEventId.length > 1) throw new CursorError('more than one Last-Event-ID header')
  const header = (Array.isArray(lastEventId) ? lastEventId[0] : lastEventId)?.trim()
  if (header !== undefined && header !== '') return decodeCursor(header)
  if (input.cursor !== undefined && input.cursor !== '') return decodeCursor(input.cursor)
  return undefined
}
