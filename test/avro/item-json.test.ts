import { test } from 'node:test'
import assert from 'node:assert/strict'
import avsc from 'avsc'
import { parse, isLosslessNumber } from 'lossless-json'
import {
  AlertDecoder, DecodeError, DecodeCode, SchemaCache, errorItemJson, itemJson, alertJson, parseExclude,
  readAvroFile, type DecodedAlert, type ItemOptions
} from '../../src/avro/index.js'
import { alertFile, alertFiles, expectedLines, jsonDifference, referenceLines } from './fink-alerts.js'

const NUMBERS: ItemOptions = { int64: 'number', exclude: new Set() }

async function decodeFile (cache: SchemaCache, path: string): Promise<DecodedAlert[]> {
  const file = await readAvroFile(path)
  const key = Buffer.from(file.schemaText)
  const decoder = new AlertDecoder(cache)
  return Promise.all(file.records.map((value, offset) =>
    decoder.decode({ topic: 'files', partition: 0, offset, timestamp: 1700000000000 + offset, key, value })))
}

test('every alert of every Fink file equals its expected JSON, record by record', async () => {
  const cache = new SchemaCache()
  const files = alertFiles()
  assert.ok(files.length >= 15, `only ${files.length} files found`)
  let alerts = 0
  for (const file of files) {
    const decoded = await decodeFile(cache, file.path)
    const expected = expectedLines(file)
    assert.equal(decoded.length, expected.length, `${file.name}: record count`)
    decoded.forEach((d, i) => {
      const diff = jsonDifference(alertJson(d, NUMBERS), expected[i] as string)
      assert.equal(diff, undefined, `${file.folder}/${file.name} record ${i}: ${diff}`)
    })
    alerts += decoded.length
  }
  assert.equal(alerts, 171)
})

test('our JSON equals what Apache Avro\'s reference decoder (python3-avro) reads from the same files', async () => {
  const cache = new SchemaCache()
  const names = [['ztf', 'sample-part-00002.avro'], ['ztf', 'ftransfer-ztf-2026-03-23-part-3.avro'],
    ['ztf', 'ZTF19acihgng.avro'], ['ztf', 'avro_multi_alerts_other.avro'], ['lsst', 'elasticc-alert-obj747.avro.gz']] as const
  await Promise.all(names.map(async ([folder, name]) => {
    const file = alertFile(folder, name)
    const [decoded, reference] = await Promise.all([decodeFile(cache, file.path), referenceLines(file.path)])
    assert.equal(decoded.length, reference.length, `${name}: record count`)
    decoded.forEach((d, i) => {
      const diff = jsonDifference(alertJson(d, NUMBERS), reference[i] as string)
      assert.equal(diff, undefined, `${folder}/${name} record ${i}: ${diff}`)
    })
  }))
})

test('the item has the contract\'s members and keeps int64 digits, NaN as null, bytes as base64', async () => {
  const cache = new SchemaCache()
  const [d] = await decodeFile(cache, alertFile('ztf', 'ftransfer-ztf-2026-03-23-part-3.avro').path)
  assert.ok(d !== undefined)
  const text = itemJson(d, NUMBERS)
  const item = parse(text) as Record<string, unknown>
  assert.deepEqual(Object.keys(item), ['topic', 'partition', 'offset', 'timestamp', 'key', 'schema', 'alert'])
  assert.equal(item.topic, 'files')
  assert.equal(String(item.partition), '0')
  assert.equal(String(item.timestamp), '1700000000000')
  assert.equal(item.key, null, 'a schema key is given as null')
  assert.equal(item.schema, d.schema.id)
  const alert = item.alert as Record<string, unknown>
  const candid = alert.candid
  assert.ok(isLosslessNumber(candid))
  assert.equal(candid.toString(), String((d.alert as { candid: bigint }).candid))
  assert.ok((d.alert as { candid: bigint }).candid > BigInt(Number.MAX_SAFE_INTEGER), 'candid is above 2^53')
  assert.doesNotMatch(text, /NaN|Infinity/)
  const stamp = (alert.cutoutScience as { stampData: string }).stampData
  assert.equal(Buffer.from(stamp, 'base64').toString('base64'), stamp, 'standard padded base64')
  assert.deepEqual(Buffer.from(stamp, 'base64'), (d.alert as { cutoutScience: { stampData: Buffer } }).cutoutScience.stampData)
})

test('int64=string writes longs as JSON strings of the same digits', async () => {
  const cache = new SchemaCache()
  const [d] = await decodeFile(cache, alertFile('ztf', 'ftransfer-ztf-2026-03-23-part-3.avro').path)
  assert.ok(d !== undefined)
  const alert = JSON.parse(alertJson(d, { int64: 'string', exclude: new Set() })) as { candid: unknown, candidate: { jd: unknown } }
  assert.equal(alert.candid, String((d.alert as { candid: bigint }).candid))
  assert.equal(typeof alert.candidate.jd, 'number', 'doubles stay numbers')
})

test('exclude drops top-level fields; cutouts means the three cutouts', async () => {
  assert.deepEqual([...parseExclude('cutouts, prv_candidates,,')].sort(),
    ['cutoutDifference', 'cutoutScience', 'cutoutTemplate', 'prv_candidates'])
  assert.equal(parseExclude(undefined).size, 0)
  const cache = new SchemaCache()
  const [d] = await decodeFile(cache, alertFile('ztf', 'ZTF19acihgng.avro').path)
  assert.ok(d !== undefined)
  const full = JSON.parse(alertJson(d, NUMBERS)) as Record<string, unknown>
  const slim = JSON.parse(alertJson(d, { int64: 'number', exclude: parseExclude('cutouts,candidate') })) as Record<string, unknown>
  assert.deepEqual(Object.keys(slim), Object.keys(full).filter((k) => !['cutoutScience', 'cutoutTemplate', 'cutoutDifference', 'candidate'].includes(k)))
  assert.deepEqual(slim.prv_candidates, full.prv_candidates)
  // The writer without exclusions is unchanged by having compiled one with them.
  assert.deepEqual(JSON.parse(alertJson(d, NUMBERS)), full)
})

test('a version key is the item\'s key text', async () => {
  const cache = new SchemaCache()
  const [d] = await decodeFile(cache, alertFile('ztf', 'ZTF19acihgng.avro').path)
  assert.ok(d !== undefined)
  const item = JSON.parse(itemJson({ ...d, key: '2.7_3.10.1' }, NUMBERS)) as { key: unknown }
  assert.equal(item.key, '2.7_3.10.1')
})

test('errorItemJson names the message and the error code', () => {
  const record = { topic: 't"x', partition: 2, offset: 7, timestamp: undefined, key: Buffer.from('2.7_3.10.1'), value: Buffer.alloc(0) }
  const err = new DecodeError(DecodeCode.EMPTY, 'message value is empty', { location: record })
  const item = JSON.parse(errorItemJson(record, err)) as Record<string, unknown>
  assert.deepEqual(item, {
    topic: 't"x',
    partition: 2,
    offset: 7,
    timestamp: null,
    key: '2.7_3.10.1',
    schema: null,
    alert: null,
    error: { code: 'FG_DECODE_EMPTY', message: 't"x partition 2 offset 7: message value is empty' }
  })
})

test('unions the JS value cannot tell apart (two records, a map, int and long) are written from the value', () => {
  const schema = {
    type: 'record',
    name: 'outer',
    fields: [{
      name: 'u',
      type: {
        type: 'array',
        items: ['null', 'int', 'long', 'double', 'boolean', 'string', 'bytes',
          { type: 'record', name: 'A', fields: [{ name: 'a', type: 'long' }] },
          { type: 'record', name: 'B', fields: [{ name: 'b', type: ['null', 'float'] }] },
          { type: 'map', values: 'bytes' },
          { type: 'array', items: 'string' }]
      }
    }]
  }
  const wrapped = avsc.Type.forSchema(schema as avsc.Schema, { wrapUnions: true, registry: { long: avsc.types.LongType.__with({ fromBuffer: (b: Buffer) => b.readBigInt64LE(), toBuffer: (n: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64LE(n); return b }, fromJSON: BigInt, toJSON: Number, isValid: (n: unknown) => typeof n === 'bigint', compare: () => 0 }) } as never })
  const body = wrapped.toBuffer({
    u: [null, { int: 7 }, { long: 2n ** 60n + 1n }, { double: Number.NEGATIVE_INFINITY }, { boolean: false }, { string: 'é"' },
      { bytes: Buffer.from([1, 2, 3]) }, { A: { a: -(2n ** 62n) } }, { B: { b: { float: Number.NaN } } }, { map: { k: Buffer.from('hi') } }, { array: ['x'] }, { double: -0 }]
  })
  const cache = new SchemaCache()
  const cached = cache.fromText(JSON.stringify(schema))
  const d: DecodedAlert = { record: { topic: 't', partition: 0, offset: 0, timestamp: 0, key: null, value: body }, schema: cached, key: null, alert: cached.reader.decode(body), body }
  assert.equal(alertJson(d, NUMBERS),
    `{"u":[null,7,${2n ** 60n + 1n},null,false,"é\\"","AQID",{"a":${-(2n ** 62n)}},{"b":null},{"k":"aGk="},["x"],-0]}`)
  assert.equal(alertJson(d, { int64: 'string', exclude: new Set() }),
    `{"u":[null,7,"${2n ** 60n + 1n}",null,false,"é\\"","AQID",{"a":"${-(2n ** 62n)}"},{"b":null},{"k":"aGk="},["x"],-0]}`)
})
