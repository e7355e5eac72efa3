import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resumePositions, sseEventId } from '../../src/cursor/last-event-id.js'
import { decodeCursor, encodeCursor } from '../../src/cursor/codec.js'
import { CursorError } from '../../src/cursor/cursor-error.js'
import type { Positions } from '../../src/cursor/positions.js'

const fromUrl: Positions = new Map([['ztf', new Map([[0, 10]])]])
const fromHeader: Positions = new Map([['ztf', new Map([[0, 25], [1, 3]])]])

test('the SSE event id is the cursor, and safe in an SSE id field', () => {
  const id = sseEventId(fromHeader)
  assert.equal(id, encodeCursor(fromHeader))
  assert.deepEqual(decodeCursor(id), fromHeader)
  assert.doesNotMatch(id, /[\r\n\0]/)
})

test('Last-Event-ID wins over the cursor parameter: a reconnection is newer than its URL', () => {
  assert.deepEqual(resumePositions({ cursor: encodeCursor(fromUrl), lastEventId: sseEventId(fromHeader) }), fromHeader)
  assert.deepEqual(resumePositions({ lastEventId: sseEventId(fromHeader) }), fromHeader)
  assert.deepEqual(resumePositions({ lastEventId: [sseEventId(fromHeader)] }), fromHeader)
  assert.deepEqual(resumePositions({ lastEventId: ` ${sseEventId(fromHeader)}\t` }), fromHeader, 'surrounding blanks ignored')
})

test('without a header, the cursor parameter; without either, nothing', () => {
  assert.deepEqual(resumePositions({ cursor: encodeCursor(fromUrl) }), fromUrl)
  assert.deepEqual(resumePositions({ cursor: encodeCursor(fromUrl), lastEventId: '' }), fromUrl)
  assert.deepEqual(resumePositions({ cursor: encodeCursor(fromUrl), lastEventId: '  ' }), fromUrl)
  assert.deepEqual(resumePositions({ cursor: encodeCursor(fromUrl), lastEventId: [] }), fromUrl)
  assert.equal(resumePositions({}), undefined)
  assert.equal(resumePositions({ cursor: '', lastEventId: undefined }), undefined)
})

test('malformed header or parameter: CursorError', () => {
  assert.throws(() => resumePositions({ lastEventId: 'not a cursor!' }), CursorError)
  assert.throws(() => resumePositions({ cursor: 'AAAA' }), CursorError)
  assert.throws(() => resumePositions({ cursor: encodeCursor(fromUrl), lastEventId: '%%%' }), CursorError, 'a bad header is not silently replaced by the URL')
  assert.throws(() => resumePositions({ lastEventId: [sseEventId(fromUrl), sseEventId(fromHeader)] }), /more than one Last-Event-ID/)
})
