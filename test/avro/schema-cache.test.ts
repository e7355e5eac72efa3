import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DecodeError, DecodeCode, SchemaCache, isVersionKey, readAvroFile } from '../../src/avro/index.js'
import { alertFile, SHIPPED_SCHEMAS_DIR } from './fink-alerts.js'

test('ids are the SHA-256 of the canonical form: layout, docs and defaults do not change them', () => {
  const cache = new SchemaCache()
  const a = cache.fromText('{"type":"record","name":"r","fields":[{"name":"x","type":"long","doc":"an id"}]}')
  const b = cache.fromText('{\n  "type": "record", "name": "r",\n  "fields": [ {"name": "x", "type": "long", "default": 0} ]\n}')
  const c = cache.fromText('{"type":"record","name":"r","fields":[{"name":"x","type":"int"}]}')
  assert.match(a.id, /^[0-9a-f]{64}$/)
  assert.equal(a, b, 'the same CachedSchema object')
  assert.notEqual(a.id, c.id)
  assert.equal(cache.byId(a.id), a)
  assert.equal(cache.byId('0'.repeat(64)), undefined)
})

test('a repeated key is recognised by its bytes, and different texts of one schema share it', () => {
  const cache = new SchemaCache()
  const text = readFileSync(join(SHIPPED_SCHEMAS_DIR, 'distribution_schema_fink_ztf_2.7_3.10.1.avsc'), 'utf8')
  const first = cache.fromKeyBytes(Buffer.from(text))
  assert.equal(cache.fromKeyBytes(Buffer.from(text)), first)
  assert.equal(cache.fromKeyBytes(Buffer.from(JSON.stringify(JSON.parse(text)))), first)
  assert.equal(cache.byVersion('2.7_3.10.1'), first)
})

test('bounded: the oldest schema goes when maxSchemas is reached', () => {
  const cache = new SchemaCache({ maxSchemas: 3 })
  const ids = [1, 2, 3, 4].map((i) => cache.fromText(JSON.stringify({ type: 'fixed', name: `f${i}`, size: i })).id)
  assert.equal(cache.byId(ids[0] as string), undefined)
  for (const id of ids.slice(1)) assert.ok(cache.byId(id) !== undefined)
})

test('bad schema texts are DecodeErrors with BAD_SCHEMA', () => {
  const cache = new SchemaCache()
  for (const text of ['not json', '{"type":"record"}', '{"type":"enum","name":"e","symbols":["a","a"]}']) {
    assert.throws(() => cache.fromText(text), (err: unknown) => err instanceof DecodeError && err.code === DecodeCode.BAD_SCHEMA, text)
  }
  assert.throws(() => new SchemaCache({ defaultSchemaPath: '/nonexistent/x.avsc' }), (err: unknown) => err instanceof DecodeError && /x\.avsc/.test(err.message))
})

test('version keys: only names a schema file could have', () => {
  for (const ok of ['2.7_3.10.1', '1.4_0.5.1', '2.0_1.0.0_replayed', '9_1']) assert.ok(isVersionKey(ok), ok)
  for (const bad of ['', '../x', '2.7/3', '2.7_../../x', 'ZTF19acihgng', '12345', '{"type":"int"}', '1..2_3', '0p2-live', '1'.repeat(80)]) assert.ok(!isVersionKey(bad), bad)
})

test('versionOf finds the version string of a schema, preferring plain names the decoder resolves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-versions-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'old'))
  const ztf = (await readAvroFile(alertFile('ztf', 'ftransfer-ztf-2026-03-23-part-3.avro').path)).schemaText
  const lsst = (await readAvroFile(alertFile('lsst', 'ftransfer-lsst-2026-03-18-part-2.avro').path)).schemaText
  writeFileSync(join(dir, 'distribution_schema_fink_ztf_8.0_1.0.0.avsc'), ztf)
  writeFileSync(join(dir, 'old', 'distribution_schema_fink_ztf_7.0_1.0.0_replayed.avsc'), lsst)
  const cache = new SchemaCache({ schemasDir: dir })
  assert.equal(cache.versionOf(cache.fromText(ztf)), '8.0_1.0.0')
  assert.equal(cache.versionOf(cache.fromText(lsst)), '7.0_1.0.0', 'the plain key resolves to the _replayed file')
  assert.equal(cache.byVersion('7.0_1.0.0')?.id, cache.fromText(lsst).id)
  assert.equal(cache.versionOf(cache.fromText('{"type":"string"}')), undefined)
  // The shipped schemas: every current version file maps back to a version with its fingerprint.
  const shipped = new SchemaCache()
  const v = shipped.byVersion('2.7_3.10.1')
  assert.ok(v !== undefined)
  assert.equal(shipped.byVersion(shipped.versionOf(v) as string), v)
})
