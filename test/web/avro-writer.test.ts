import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AvroWriteError, encodeContainer } from '../../src/web/avro-writer.js'
import { DATA, itemsOf } from './real-items.js'

async function reencoded (file: string, t: { after: (fn: () => void) => void }): Promise<{ original: Awaited<ReturnType<typeof itemsOf>>, written: Awaited<ReturnType<typeof itemsOf>> }> {
  const original = await itemsOf(join(DATA, file))
  const dir = mkdtempSync(join(tmpdir(), 'fg-avro-'))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  const path = join(dir, 'out.avro')
  writeFileSync(path, encodeContainer(original.schemaText, original.alerts))
  const written = await itemsOf(path)
  assert.equal(written.codec, 'null')
  assert.equal(written.schemaText, original.schemaText)
  assert.equal(written.bodies.length, original.bodies.length)
  return { original, written }
}

// No NaN inside a nullable union in these: the Avro bodies come back identical.
for (const file of ['ZTF19acihgng.avro', 'avro_multi_alerts.avro', 'elasticc-alert-obj747.avro.gz']) {
  test(`re-encoding the JSON items of ${file} gives back the original Avro bodies, byte for byte`, async (t) => {
    const { original, written } = await reencoded(file, t)
    written.bodies.forEach((body, i) => { assert.ok(body.equals(original.bodies[i] ?? Buffer.alloc(0)), `record ${i} differs`) })
  })
}

// JSON gives NaN as null, so a NaN in a ["float","null"] union is written back as null: the
// alerts read back are the same items as before, which is all the JSON could say.
for (const file of ['ftransfer-ztf-2026-03-23-part-3.avro', 'ftransfer-lsst-2026-03-18-part-2.avro', 'sample-part-00001.avro']) {
  test(`re-encoding the JSON items of ${file} reads back as the same items`, async (t) => {
    const { original, written } = await reencoded(file, t)
    assert.deepEqual(written.texts, original.texts)
  })
}

test('python3-avro, an independent reader, reads the file and sees the exact 64-bit ids', async (t) => {
  const { schemaText, alerts } = await itemsOf(join(DATA, 'ftransfer-ztf-2026-03-23-part-3.avro'))
  const dir = mkdtempSync(join(tmpdir(), 'fg-avro-'))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  const path = join(dir, 'out.avro')
  writeFileSync(path, encodeContainer(schemaText, alerts))
  const script = 'import sys, avro.datafile, avro.io\nfor a in avro.datafile.DataFileReader(open(sys.argv[1], "rb"), avro.io.DatumReader()): print(a["candid"], a["objectId"])'
  const lines = execFileSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8' }).trim().split('\n')
  const expected = (alerts as Array<{ candid: string, objectId: string }>).map((a) => `${a.candid} ${a.objectId}`)
  assert.deepEqual(lines, expected)
  assert.ok(expected.some((l) => BigInt(l.split(' ')[0] ?? '0') > BigInt(Number.MAX_SAFE_INTEGER)))
})

test('an alert missing a field (e.g. fetched with exclude=cutouts) is refused with the field named', () => {
  const schema = JSON.stringify({ type: 'record', name: 'a', fields: [{ name: 'id', type: 'long' }, { name: 'cutoutScience', type: ['null', 'bytes'] }] })
  assert.throws(() => encodeContainer(schema, [{ id: '1' }]), (err: unknown) => err instanceof AvroWriteError && /cutoutScience is missing/.test(err.message))
  assert.throws(() => encodeContainer(schema, [{ id: 'x', cutoutScience: null }]), AvroWriteError)
})
