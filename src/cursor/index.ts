export { CursorError } from './cursor-error.js'
export { CURSOR_LIMITS, CURSOR_VERSION, decodeCursor, encodeCursor } from './codec.js'
export {
  advance, assertCursorTopics, clonePositions, nextOffset, setPosition, toTopicPartitionOffsets, type Positions
} from './positions.js'
export { resumePositions, sseEventId } from './last-event-id.js'
export { alertsLost, retentionGaps, type RetentionGap } from './retention-gap.js'
