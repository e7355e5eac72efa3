import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp, uniqueName } from '../helpers/app.js'
import { alertFile } from '../avro/fink-alerts.js'
import { topicWithAlerts } from '../kafka/kafka-helpers.js'

test('GET /schemas/{id} serves the writer schema of items the gateway served, 404 for unseen ids', async (t) => {
  const app = await buildApp(t)
  const { topic } = await topicWithAlerts(t, 'ftest_schemas', [alertFile('ztf', 'ZTF19acihgng.avro').path])
  const unseen = await app.inject({ method: 'GET', url: `/schemas/${'0'.repeat(64)}` })
  assert.equal(unseen.statusCode, 404)
  assert.equal(unseen.json().code, 'FG_NOT_FOUND')
  const polled = await app.inject({ method: 'GET', url: `/poll?topics=${topic}&group_id=${uniqueName('g')}&timeout=15&exclude=cutouts` })
  assert.equal(polled.statusCode, 200)
  const id = polled.json().schema as string
  const res = await app.inject({ method: 'GET', url: `/schemas/${id}` })
  assert.equal(res.statusCode, 200)
  const schema = res.json() as { type: string, name: string }
  assert.equal(schema.type, 'record')
  assert.equal(schema.name, 'alert')
  const bad = await app.inject({ method: 'GET', url: '/schemas/not%20an%20id' })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'FG_BAD_PARAMETER')
})
