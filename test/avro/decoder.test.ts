import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AlertDecoder, DecodeError, DecodeCode, SchemaCache, alertJson, readAvroFile,
  type DecodedAlert, type DecodeCodeValue, type KafkaRecord
} from '../../src/avro/index.js'
import { alertFile, expectedLines, jsonDifference, SHIPPED_SCHEMAS_DIR } from './fink-alerts.js'

const NUMBERS = { int64: 'number', exclude: new Set<string>() } as const

function record (value: Buffer | null | undefined, key: Buffer | string | null = null, offset = 0): KafkaRecord {
  return { topic: 'decoder-test', partition: 3, offset, timestamp: 1, key: typeof key === 'string' ? Buffer.from(key) : key, value }
}

async function rejectsWith (fn: () => unknown, code: DecodeCodeValue): Promise<DecodeError> {
  let caught: unknown
  try {
    await fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof DecodeError, `expected a DecodeError ${code}, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  return caught
}

function assertExpected (d: DecodedAlert, expected: string): void {
  const diff = jsonDifference(alertJson(d, NUMBERS), expected)
  assert.equal(diff, undefined, diff)
}

const ZTF = alertFile('ztf', 'ftransfer-ztf-2026-03-23-part-3.avro')

test('key = the writer schema as JSON: decoded, key null, the schema parsed once', async () => {
  const file = await readAvroFile(ZTF.path)
  const cache = new SchemaCache()
  const decoder = new AlertDecoder(cache)
  const expected = expectedLines(ZTF)
  const results = file.records.map((value, i) => decoder.decode(record(value, Buffer.from(file.schemaText), i)) as DecodedAlert)
  results.forEach((d, i) => assertExpected(d, expected[i] as string))
  assert.equal(results[0]?.key, null)
  assert.ok(results.every((d) => d.schema === results[0]?.schema), 'one cached schema for every message')
  assert.equal(cache.byId(results[0]?.schema.id as string), results[0]?.schema)
  // The same schema text laid out differently has the same fingerprint.
  const pretty = JSON.stringify(JSON.parse(file.schemaText), null, 2)
  const again = decoder.decode(record(file.records[0] as Buffer, pretty)) as DecodedAlert
  assert.equal(again.schema.id, results[0]?.schema.id)
})

test('key = a Fink version string: the shipped schema file, then its _replayed variant in old/', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-schemas-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = await readAvroFile(ZTF.path)
  mkdirSync(join(dir, 'old'))
  writeFileSync(join(dir, 'distribution_schema_fink_ztf_9.1_1.0.0.avsc'), file.schemaText)
  writeFileSync(join(dir, 'old', 'distribution_schema_fink_ztf_9.0_0.9.0_replayed.avsc'), file.schemaText)
  const decoder = new AlertDecoder(new SchemaCache({ schemasDir: dir }))
  const expected = expectedLines(ZTF)
  for (const version of ['9.1_1.0.0', '9.0_0.9.0']) {
    const d = await decoder.decode(record(file.records[1] as Buffer, version))
    assert.equal(d.key, version)
    assertExpected(d, expected[1] as string)
  }
  const unknown = await rejectsWith(() => decoder.decode(record(file.records[1] as Buffer, '2.7_3.10.1', 42)), DecodeCode.UNKNOWN_SCHEMA)
  assert.match(unknown.message, /decoder-test partition 3 offset 42: .*2\.7_3\.10\.1/)
  assert.equal(unknown.topic, 'decoder-test')
  assert.equal(unknown.partition, 3)
  assert.equal(unknown.offset, 42)
})

test('the shipped Fink version schemas are found by their version key', () => {
  const cache = new SchemaCache()
  assert.equal(cache.schemasDir, SHIPPED_SCHEMAS_DIR)
  assert.ok(cache.byVersion('2.7_3.10.1') !== undefined)
  assert.ok(cache.byVersion('1.4_0.5.1') !== undefined, 'old/ is searched')
  assert.equal(cache.byVersion('0.0_0.0.0'), undefined)
  assert.equal(cache.byVersion('../../etc/passwd'), undefined)
})

test('no usable key: the configured default schema', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-default-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const single = alertFile('ztf', 'ZTF19acihgng.avro')
  const file = await readAvroFile(single.path)
  const path = join(dir, 'ztf.avsc')
  writeFileSync(path, file.schemaText)
  const decoder = new AlertDecoder(new SchemaCache({ defaultSchemaPath: path }))
  const [expected] = expectedLines(single)
  assertExpected(await decoder.decode(record(file.records[0] as Buffer)), expected as string)
  // A key that is neither a schema nor a version string is only given back as text.
  const keyed = await decoder.decode(record(file.records[0] as Buffer, 'ZTF19acihgng object'))
  assert.equal(keyed.key, 'ZTF19acihgng object')
  const numeric = await decoder.decode(record(file.records[0] as Buffer, '12345'))
  assert.equal(numeric.key, '12345', 'a number is not a Fink version key')
  assertExpected(numeric, expected as string)
  // Without a default schema, the same message is an error for this message only.
  await rejectsWith(() => new AlertDecoder(new SchemaCache()).decode(record(file.records[0] as Buffer)), DecodeCode.UNKNOWN_SCHEMA)
})

interface Registry { url: string, requests: string[], server: Server }

async function startRegistry (schemas: Map<number, string>): Promise<Registry> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const id = Number(/^\/schemas\/ids\/(\d+)$/.exec(req.url ?? '')?.[1])
    const schema = schemas.get(id)
    if (schema === undefined) {
      res.writeHead(404, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
      res.end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }))
      return
    }
    res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
    res.end(JSON.stringify({ schema }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, requests, server }
}

function confluent (id: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.writeUInt32BE(id, 1)
  return Buffer.concat([header, body])
}

test('Confluent framing: schema fetched once from a real HTTP schema registry', async (t) => {
  const file = await readAvroFile(ZTF.path)
  const registry = await startRegistry(new Map([[4242, file.schemaText]]))
  t.after(() => registry.server.close())
  const decoder = new AlertDecoder(new SchemaCache({ registryUrl: registry.url + '/' }))
  const expected = expectedLines(ZTF)
  const decoded = await Promise.all(file.records.slice(0, 5).map((body, i) => decoder.decode(record(confluent(4242, body), null, i))))
  decoded.forEach((d, i) => {
    assertExpected(d, expected[i] as string)
    assert.deepEqual(d.body, file.records[i])
  })
  const sync = decoder.decode(record(confluent(4242, file.records[5] as Buffer), null, 5))
  assert.ok(!(sync instanceof Promise), 'a known registry id decodes synchronously')
  assert.deepEqual(registry.requests, ['/schemas/ids/4242'])

  const missing = await rejectsWith(() => decoder.decode(record(confluent(7, file.records[0] as Buffer), null, 9)), DecodeCode.UNKNOWN_SCHEMA)
  assert.match(missing.message, /offset 9: .*schema id 7/)
})

test('Confluent framing: an unreachable registry is a retryable error, no registry configured is named', async () => {
  const file = await readAvroFile(ZTF.path)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const decoder = new AlertDecoder(new SchemaCache({ registryUrl: `http://127.0.0.1:${port}`, registryTimeoutMs: 2000 }))
  const err = await rejectsWith(() => decoder.decode(record(confluent(1, file.records[0] as Buffer))), DecodeCode.REGISTRY)
  assert.equal(err.canRetry, true)
  const none = await rejectsWith(() => new AlertDecoder(new SchemaCache()).decode(record(confluent(1, file.records[0] as Buffer))), DecodeCode.UNKNOWN_SCHEMA)
  assert.match(none.message, /Confluent/)
})

/** Deterministic pseudo-random bytes (a linear congruential generator). */
function noise (length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let s = seed
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    out[i] = s >>> 24
  }
  return out
}

test('malformed values each give their error, for that message only', async () => {
  const file = await readAvroFile(ZTF.path)
  const lsst = await readAvroFile(alertFile('lsst', 'ftransfer-lsst-2026-03-18-part-2.avro').path)
  const key = Buffer.from(file.schemaText)
  const decoder = new AlertDecoder(new SchemaCache())
  const body = file.records[0] as Buffer
  const corpus: Array<[string, KafkaRecord, DecodeCodeValue[]]> = [
    ['null value', record(null, key), [DecodeCode.EMPTY]],
    ['undefined value', record(undefined, key), [DecodeCode.EMPTY]],
    ['empty value', record(Buffer.alloc(0), key), [DecodeCode.EMPTY]],
    ['truncated to half', record(body.subarray(0, body.length >> 1), key), [DecodeCode.TRUNCATED, DecodeCode.TOO_LARGE]],
    ['one byte short', record(body.subarray(0, body.length - 1), key), [DecodeCode.TRUNCATED, DecodeCode.TOO_LARGE]],
    ['trailing garbage', record(Buffer.concat([body, Buffer.from('garbage')]), key), [DecodeCode.TRAILING_BYTES]],
    ['a ZTF alert read with the LSST schema', record(body, Buffer.from(lsst.schemaText)), [DecodeCode.INVALID, DecodeCode.TOO_LARGE, DecodeCode.TRUNCATED, DecodeCode.TRAILING_BYTES]],
    ['a key that is broken JSON', record(body, '{"type": "record", '), [DecodeCode.BAD_SCHEMA]],
    ['a key that is JSON but no schema', record(body, '{"type": "nonsense"}'), [DecodeCode.BAD_SCHEMA]]
  ]
  for (let seed = 1; seed <= 40; seed++) {
    corpus.push([`random bytes #${seed}`, record(noise(64 + seed * 97, seed), key), [DecodeCode.INVALID, DecodeCode.TOO_LARGE, DecodeCode.TRUNCATED, DecodeCode.TRAILING_BYTES]])
  }
  for (const [what, rec, codes] of corpus) {
    let caught: unknown
    try {
      await decoder.decode(rec)
    } catch (err) {
      caught = err
    }
    assert.ok(caught instanceof DecodeError, `${what}: expected a DecodeError, got ${String(caught)}`)
    assert.ok(codes.includes(caught.code), `${what}: ${caught.code} ${caught.message}`)
    assert.match(caught.message, /^decoder-test partition 3 offset 0: /, what)
  }
  // The decoder still decodes good messages afterwards.
  const [expected] = expectedLines(ZTF)
  assertExpected(await decoder.decode(record(body, key)), expected as string)
})

test('a shipped schema file can be the default schema', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-copy-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(join(SHIPPED_SCHEMAS_DIR, 'schema_test.avsc'), join(dir, 'schema_test.avsc'))
  const cache = new SchemaCache({ defaultSchemaPath: join(dir, 'schema_test.avsc') })
  assert.ok(cache.defaultSchema !== undefined)
  assert.equal(cache.byId(cache.defaultSchema.id), cache.defaultSchema)
})
