import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeCursor } from '../../src/cursor/index.js'
import { parseFeatureParams, parseFormat, parseUntil } from '../../src/features/params.js'

const cursorFor = (topic: string, partition: number, next: number): string => encodeCursor(new Map([[topic, new Map([[partition, next]])]]))

test('until: ISO 8601 or epoch ms, after a start time; anything else is a 400 naming until', () => {
  assert.equal(parseUntil({}, undefined), null)
  assert.equal(parseUntil({ until: '2026-03-23T12:00:00Z' }, undefined), Date.parse('2026-03-23T12:00:00Z'))
  assert.equal(parseUntil({ until: '1774267200000' }, { kind: 'earliest' }), 1774267200000)
  assert.equal(parseUntil({ until: '2026-03-24' }, { kind: 'time', ms: Date.parse('2026-03-23T00:00:00Z') }), Date.parse('2026-03-24T00:00:00Z'))
  for (const bad of ['tomorrow', 'latest', '-5', '2026-13-45T00:00:00Z']) {
    assert.throws(() => parseUntil({ until: bad }, undefined), (err: any) => err.statusCode === 400 && /until/.test(err.message), bad)
  }
  assert.throws(() => parseUntil({ until: '2026-03-22T00:00:00Z' }, { kind: 'time', ms: Date.parse('2026-03-23T00:00:00Z') }), /not after start/)
  assert.throws(() => parseUntil({ until: ['1', '2'] }, undefined), /given 2 times/)
})

test('format: json (default) or avro', () => {
  assert.equal(parseFormat({}), 'json')
  assert.equal(parseFormat({ format: 'avro' }), 'avro')
  assert.throws(() => parseFormat({ format: 'AVRO' }), (err: any) => err.code === 'FG_BAD_PARAMETER')
})

test('filter compiles once into a predicate; a malformed one is FG_BAD_FILTER with its position', () => {
  const { filter } = parseFeatureParams({ filter: 'candidate.magpsf < 18' }, ['t'], undefined)
  assert.ok(filter !== null)
  assert.equal(filter({ candidate: { magpsf: 17.5 } }), true)
  assert.equal(filter({ candidate: { magpsf: 18.5 } }), false)
  assert.equal(parseFeatureParams({ filter: '  ' }, ['t'], undefined).filter, null)
  assert.throws(() => parseFeatureParams({ filter: 'candidate.magpsf <' }, ['t'], undefined),
    (err: any) => err.code === 'FG_BAD_FILTER' && err.statusCode === 400 && err.position === 18)
})

test('cursor and Last-Event-ID: the header wins; topics outside `topics` or garbage are FG_BAD_CURSOR', () => {
  const fromQuery = parseFeatureParams({ cursor: cursorFor('t', 0, 5) }, ['t'], undefined)
  assert.equal(fromQuery.resume?.get('t')?.get(0), 5)
  const fromHeader = parseFeatureParams({ cursor: cursorFor('t', 0, 5) }, ['t'], undefined, cursorFor('t', 1, 9))
  assert.deepEqual([...(fromHeader.resume?.get('t') ?? [])], [[1, 9]])
  assert.throws(() => parseFeatureParams({ cursor: cursorFor('other', 0, 5) }, ['t'], undefined), (err: any) => err.code === 'FG_BAD_CURSOR')
  assert.throws(() => parseFeatureParams({ cursor: 'not a cursor' }, ['t'], undefined), (err: any) => err.code === 'FG_BAD_CURSOR' && err.statusCode === 400)
  assert.equal(parseFeatureParams({}, ['t'], undefined).resume, undefined)
})
