import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { AvroFileError, AlertDecoder, SchemaCache, alertJson, parseAvroFile, readAvroFile } from '../../src/avro/index.js'
import { alertFile, alertFiles, expectedLines, jsonDifference, REFERENCE_PYTHON, SHIPPED_ALERTS_DIR } from './fink-alerts.js'

test('every Fink file: codec, schema and as many records as the expected JSON', async () => {
  const codecs = new Set<string>()
  for (const file of alertFiles()) {
    const avro = await readAvroFile(file.path)
    codecs.add(avro.codec)
    assert.equal(avro.records.length, expectedLines(file).length, file.name)
    assert.equal(typeof JSON.parse(avro.schemaText), 'object')
  }
  assert.deepEqual([...codecs].sort(), ['null', 'snappy'])
})

test('the shipped copies under data/alerts read like the originals', async () => {
  const names = readdirSync(SHIPPED_ALERTS_DIR).filter((f) => /\.avro(\.gz)?$/.test(f))
  assert.ok(names.length >= 8)
  for (const name of names) {
    const original = alertFiles().find((f) => f.name === name)
    assert.ok(original !== undefined, `${name} is one of the shared Fink files`)
    assert.deepEqual(await readAvroFile(join(SHIPPED_ALERTS_DIR, name)), await readAvroFile(original.path))
  }
})

test('deflate: a file written by python3-avro with the deflate codec reads record for record', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-deflate-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const source = alertFile('ztf', 'avro_multi_alerts.avro')
  const target = join(dir, 'deflate.avro')
  const script = `
import sys, avro.datafile, avro.io
r = avro.datafile.DataFileReader(open(sys.argv[1], 'rb'), avro.io.DatumReader())
w = avro.datafile.DataFileWriter(open(sys.argv[2], 'wb'), avro.io.DatumWriter(), r.datum_reader.writers_schema, codec='deflate')
for rec in r: w.append(rec)
w.close()`
  await promisify(execFile)(REFERENCE_PYTHON, ['-c', script, source.path, target])
  const avro = await readAvroFile(target)
  assert.equal(avro.codec, 'deflate')
  const expected = expectedLines(source)
  assert.equal(avro.records.length, expected.length)
  const schema = new SchemaCache().fromText(avro.schemaText)
  const decoder = new AlertDecoder(new SchemaCache())
  avro.records.forEach((value, i) => {
    const d = decoder.decode({ topic: 't', partition: 0, offset: i, timestamp: 0, key: Buffer.from(avro.schemaText), value })
    assert.ok(!(d instanceof Promise))
    assert.equal(d.schema.id, schema.id)
    const diff = jsonDifference(alertJson(d, { int64: 'number', exclude: new Set() }), expected[i] as string)
    assert.equal(diff, undefined, `record ${i}: ${diff}`)
  })
})

test('a gzip\'d file reads like the plain one', async () => {
  const plain = readFileSync(alertFile('ztf', 'ZTF19acihgng.avro').path)
  assert.deepEqual(parseAvroFile(gzipSync(plain), 'x.avro.gz'), parseAvroFile(plain, 'x.avro'))
})

test('broken files are AvroFileErrors naming the file', async () => {
  const plain = readFileSync(alertFile('ztf', 'avro_multi_alerts.avro').path)
  const snappy = readFileSync(alertFile('ztf', 'sample-part-00001.avro').path)
  const flipped = Buffer.from(snappy)
  flipped.writeUInt8((flipped.readUInt8(flipped.length - 100) ^ 0xff), flipped.length - 100)
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /bad magic/],
    ['not Avro', Buffer.from('{"json": true}'), /bad magic/],
    ['truncated', plain.subarray(0, plain.length - 1000), /sync marker|truncated|declared length/],
    ['cut in the header', plain.subarray(0, 100), /./],
    ['garbage after the last block', Buffer.concat([plain, Buffer.from([1, 2, 3, 4, 5])]), /./],
    ['a flipped byte in a snappy block', flipped, /./],
    ['broken gzip', gzipSync(plain).subarray(0, 500), /./]
  ]
  for (const [what, data, message] of cases) {
    assert.throws(() => parseAvroFile(data, `/tmp/${what}.avro`), (err: unknown) => {
      assert.ok(err instanceof AvroFileError, `${what}: ${String(err)}`)
      assert.equal(err.code, 'FG_AVRO_BAD_FILE')
      assert.match(err.message, new RegExp(`^/tmp/${what}\\.avro: `))
      assert.match(err.message, message, what)
      return true
    })
  }
  await assert.rejects(readAvroFile('/nonexistent/file.avro'), /\/nonexistent\/file\.avro: .*ENOENT/)
})

test('a codec we do not know is named', () => {
  const plain = readFileSync(alertFile('ztf', 'ZTF19acihgng.avro').path)
  // "null" → "zstd" keeps every length in the header the same.
  const at = plain.indexOf('avro.codec')
  assert.ok(at > 0)
  const patched = Buffer.from(plain)
  const nullAt = patched.indexOf('null', at)
  patched.write('zstd', nullAt)
  assert.throws(() => parseAvroFile(patched, 'z.avro'), /unsupported codec zstd/)
})
