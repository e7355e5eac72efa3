import { test } from 'node:test'
import assert from 'node:assert/strict'
import avsc from 'avsc'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseSchema, readAvroFile } from '../../src/avro/index.js'
import { alertFile, SHIPPED_SCHEMAS_DIR } from './fink-alerts.js'

test('union defaults that do not match the first branch are accepted, branch order kept', () => {
  const schema = {
    type: 'record',
    name: 'r',
    fields: [
      { name: 'a', type: ['float', 'null'], default: null },
      { name: 'b', type: ['null', 'int'], default: 0 },
      { name: 'c', type: ['null', 'string'], default: null },
      { name: 'd', type: 'int', default: 'oops' }
    ]
  }
  assert.throws(() => avsc.Type.forSchema(schema as avsc.Schema), /default/, 'avsc alone rejects it')
  const type = parseSchema(schema)
  const fields = (type as avsc.types.RecordType).fields
  assert.deepEqual(fields.map((f) => (f.type as avsc.types.UnwrappedUnionType).types?.map((b) => b.typeName)),
    [['float', 'null'], ['null', 'int'], ['null', 'string'], undefined])
  const buf = type.toBuffer({ a: 1.5, b: null, c: 'x', d: 3 })
  // Branch indexes on the wire are those of the original order: float is branch 0.
  assert.equal(buf[0], 0)
})

test('a default that matches its first branch is kept', () => {
  const type = parseSchema({ type: 'record', name: 'r', fields: [{ name: 'c', type: ['null', 'string'], default: null }, { name: 'n', type: ['int', 'null'], default: 4 }] })
  const schema = type.schema({ exportAttrs: true }) as { fields: Array<{ default?: unknown }> }
  assert.deepEqual(schema.fields.map((f) => f.default), [null, 4])
})

test('longs are bigints in the avsc type too', () => {
  const type = parseSchema({ type: 'record', name: 'r', fields: [{ name: 'n', type: 'long' }] })
  const n = 2n ** 62n + 1n
  assert.equal((type.fromBuffer(type.toBuffer({ n })) as { n: bigint }).n, n)
  assert.equal(type.isValid({ n: 1 }), false)
})

test('every shipped Fink schema and every real file header parses', async () => {
  const files = [
    ...readdirSync(SHIPPED_SCHEMAS_DIR).filter((f) => f.endsWith('.avsc')).map((f) => join(SHIPPED_SCHEMAS_DIR, f)),
    ...readdirSync(join(SHIPPED_SCHEMAS_DIR, 'old')).map((f) => join(SHIPPED_SCHEMAS_DIR, 'old', f))
  ]
  assert.ok(files.length >= 40, `${files.length} schema files`)
  for (const f of files) assert.equal(parseSchema(JSON.parse(readFileSync(f, 'utf8'))).typeName, 'record', f)
  // The 2019 ZTF alerts carry the union defaults strict parsers reject.
  const header = (await readAvroFile(alertFile('ztf', 'ZTF19acihgng.avro').path)).schemaText
  assert.throws(() => avsc.Type.forSchema(JSON.parse(header)), /default/)
  assert.equal(parseSchema(JSON.parse(header)).typeName, 'record')
})
