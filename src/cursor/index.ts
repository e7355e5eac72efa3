export { CursorError } from './cursor-error.js'
export { CURSOR_LIMITS, CURSOR_VERSION, decodeCursor, encodeCursor } from './codec.js'
export {
  advance, assertCursorTopics, clonePositions, fromTopicPartitionOffsets, nextOffset, setPosition, toTopicPartitionOffsets, type Positions
} from './positions.js'
export { resumePositions, sseEventId } from './last-event-id.js'
export { alertsLost, retentionGaps, type RetentionGap } from './retention-gap.js'

/** For the OpenAPI description of the `cursor` parameter. */
export const CURSOR_PARAMETER_DESCRIPTION =
  'Resume exactly after an item: the `cursor` of the last item received (opaque base64url text with the next ' +
  'offset of each partition). Works on any gateway instance. On /sse, a `Last-Event-ID` header takes precedence. ' +
  'A malformed cursor, or one naming a topic not in `topics`, gets 400 FG_BAD_CURSOR.'
