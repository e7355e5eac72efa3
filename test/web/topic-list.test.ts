import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTopicGroups } from '../../src/web/topic-list.js'

test('GET /topics groups, sorted, empty groups left out', () => {
  assert.deepEqual(parseTopicGroups({ livestream: ['b', 'a'], datatransfer: ['ftransfer_x'], xmatch: [] }), [
    { group: 'livestream', topics: ['a', 'b'] },
    { group: 'datatransfer', topics: ['ftransfer_x'] }
  ])
})

test('a plain list or objects with names are accepted too; nonsense gives nothing', () => {
  assert.deepEqual(parseTopicGroups(['t2', 't1']), [{ group: 'topics', topics: ['t1', 't2'] }])
  assert.deepEqual(parseTopicGroups({ topics: { livestream: [{ name: 'a' }, { topic: 'b' }] } }), [{ group: 'livestream', topics: ['a', 'b'] }])
  assert.deepEqual(parseTopicGroups(null), [])
  assert.deepEqual(parseTopicGroups('x'), [])
})
