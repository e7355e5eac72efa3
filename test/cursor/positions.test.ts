import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  advance, assertCursorTopics, clonePositions, fromTopicPartitionOffsets, nextOffset, setPosition, toTopicPartitionOffsets, type Positions
} from '../../src/cursor/positions.js'
import { CursorError } from '../../src/cursor/cursor-error.js'
import { decodeCursor, encodeCursor } from '../../src/cursor/codec.js'

test('advance: the next offset is one past the delivered alert, per topic and partition', () => {
  const positions: Positions = new Map()
  assert.equal(advance(positions, 'ztf', 0, 41), positions, 'mutates and returns the same map')
  advance(positions, 'ztf', 0, 42)
  advance(positions, 'ztf', 3, 0)
  advance(positions, 'lsst', 1, 9)
  assert.equal(nextOffset(positions, 'ztf', 0), 43)
  assert.equal(nextOffset(positions, 'ztf', 3), 1)
  assert.equal(nextOffset(positions, 'lsst', 1), 10)
  assert.equal(nextOffset(positions, 'lsst', 0), undefined)
  assert.equal(nextOffset(positions, 'nope', 0), undefined)
})

test('advance never moves back: a redelivered older alert leaves the position alone', () => {
  const positions: Positions = new Map()
  advance(positions, 'ztf', 0, 100)
  advance(positions, 'ztf', 0, 50)
  advance(positions, 'ztf', 0, 100)
  assert.equal(nextOffset(positions, 'ztf', 0), 101)
})

test('setPosition moves either way (a new assignment, a seek)', () => {
  const positions: Positions = new Map()
  setPosition(positions, 'ztf', 0, 100)
  setPosition(positions, 'ztf', 0, 7)
  assert.equal(nextOffset(positions, 'ztf', 0), 7)
  setPosition(positions, 'ztf', 2, 0)
  assert.equal(nextOffset(positions, 'ztf', 2), 0)
})

test('advance and setPosition refuse what a cursor could not carry', () => {
  const positions: Positions = new Map()
  assert.throws(() => advance(positions, 'ztf', -1, 0), CursorError)
  assert.throws(() => advance(positions, 'ztf', 0, -2), CursorError)
  assert.throws(() => advance(positions, 'ztf', 0, 1.5), CursorError)
  assert.throws(() => advance(positions, 'ztf', 0, Number.MAX_SAFE_INTEGER), CursorError)
  assert.throws(() => advance(positions, 'no spaces', 0, 1), CursorError)
  assert.throws(() => setPosition(positions, 'ztf', 0, -1), CursorError)
  assert.throws(() => setPosition(positions, 'ztf', 2 ** 31, 0), CursorError)
  assert.deepEqual(positions, new Map(), 'nothing recorded on failure')
})

test('a cursor made after each delivered alert resumes right after it', () => {
  const positions: Positions = new Map()
  const cursors: string[] = []
  for (const [topic, partition, offset] of [['ztf', 0, 5], ['ztf', 1, 8], ['ztf', 0, 6], ['lsst', 0, 0]] as const) {
    advance(positions, topic, partition, offset)
    cursors.push(encodeCursor(positions))
  }
  assert.deepEqual(toTopicPartitionOffsets(decodeCursor(cursors[2] as string)), [
    { topic: 'ztf', partition: 0, offset: 7 }, { topic: 'ztf', partition: 1, offset: 9 }
  ])
  assert.equal(nextOffset(decodeCursor(cursors[3] as string), 'lsst', 0), 1)
})

test('clonePositions copies deeply', () => {
  const positions: Positions = new Map()
  advance(positions, 'ztf', 0, 1)
  const copy = clonePositions(positions)
  advance(copy, 'ztf', 0, 10)
  advance(copy, 'lsst', 0, 10)
  assert.equal(nextOffset(positions, 'ztf', 0), 2)
  assert.equal(positions.has('lsst'), false)
  assert.deepEqual(clonePositions(positions), positions)
})

test('toTopicPartitionOffsets lists topics by name and partitions by number', () => {
  const positions: Positions = new Map([
    ['z', new Map([[10, 1], [2, 3]])],
    ['a', new Map([[1, 4]])]
  ])
  assert.deepEqual(toTopicPartitionOffsets(positions), [
    { topic: 'a', partition: 1, offset: 4 }, { topic: 'z', partition: 2, offset: 3 }, { topic: 'z', partition: 10, offset: 1 }
  ])
  assert.deepEqual(toTopicPartitionOffsets(new Map()), [])
})

test('assertCursorTopics: a cursor may cover some of the requested topics, never others', () => {
  const positions: Positions = new Map([['ztf', new Map([[0, 1]])], ['lsst', new Map([[0, 1]])]])
  assertCursorTopics(positions, ['ztf', 'lsst'])
  assertCursorTopics(positions, ['lsst', 'ztf', 'other'])
  assertCursorTopics(new Map(), ['ztf'])
  assert.throws(() => assertCursorTopics(positions, ['ztf']), {
    code: 'FG_BAD_CURSOR', message: 'the cursor is for topic(s) lsst, which are not in topics=ztf'
  })
})

test('fromTopicPartitionOffsets keeps real offsets and drops logical ones', () => {
  const positions = fromTopicPartitionOffsets([
    { topic: 'ztf', partition: 0, offset: 12 }, { topic: 'ztf', partition: 1, offset: -1001 },
    { topic: 'ztf', partition: 2 }, { topic: 'lsst', partition: 0, offset: 0 }, { topic: 'lsst', partition: 1, offset: -2 }
  ])
  assert.deepEqual(positions, new Map([['ztf', new Map([[0, 12]])], ['lsst', new Map([[0, 0]])]]))
  assert.deepEqual(fromTopicPartitionOffsets(toTopicPartitionOffsets(positions)), positions)
  assert.throws(() => fromTopicPartitionOffsets([{ topic: 'ztf', partition: 0, offset: 1.5 }]), CursorError)
})
