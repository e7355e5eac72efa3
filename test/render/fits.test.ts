import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync, gunzipSync } from 'node:zlib'
import { FitsError, parseFits } from '../../src/render/fits.js'
import { buildFits } from './fits-builder.js'
import { realCutouts } from './real-cutouts.js'

test('parses the gzip-compressed FITS cutouts of real ZTF alerts: 63x63 float pixels', async () => {
  const cutouts = await realCutouts('ftransfer-ztf-2026-03-23-part-3.avro')
  assert.equal(cutouts.length, 9)
  for (const { stamp, kind } of cutouts) {
    assert.equal(stamp[0], 0x1f, `${kind} stamp is gzip`)
    const image = parseFits(stamp)
    assert.equal(image.header.get('BITPIX'), -32)
    // Stamps near a CCD edge are smaller than 63x63: the header decides.
    assert.equal(image.width, image.header.get('NAXIS1'))
    assert.equal(image.height, image.header.get('NAXIS2'))
    assert.equal(image.pixels.length, image.width * image.height)
    // The first pixel, read independently from the inflated bytes after the header block(s).
    const raw = gunzipSync(stamp)
    const headerBlocks = Math.ceil((raw.indexOf('END     ') + 80) / 2880)
    const first = raw.readFloatBE(headerBlocks * 2880)
    assert.ok(Object.is(image.pixels[0], first) || (Number.isNaN(first) && Number.isNaN(image.pixels[0])))
    const finite = Array.from(image.pixels).filter(Number.isFinite)
    assert.ok(finite.length > image.pixels.length / 2, `${kind}: most pixels have data`)
    assert.ok(new Set(finite).size > 100, `${kind}: pixel values vary`)
  }
})

test('parses the plain FITS cutouts of real LSST alerts, whose files carry extensions after the image', async () => {
  const cutouts = await realCutouts('ftransfer-lsst-2026-03-18-part-2.avro')
  assert.ok(cutouts.length >= 3)
  for (const { stamp } of cutouts) {
    assert.equal(stamp.toString('latin1', 0, 6), 'SIMPLE')
    const image = parseFits(stamp)
    assert.equal(image.header.get('BUNIT'), 'nJy')
    assert.equal(image.width, image.header.get('NAXIS1'))
    assert.ok(image.width > 0 && image.height > 0)
    assert.ok(new Set(image.pixels).size > 50)
  }
})

test('gzip and plain copies of the same FITS give the same pixels', async () => {
  const [cutout] = await realCutouts('ZTF19acihgng.avro', 1)
  assert.ok(cutout !== undefined)
  const fromGzip = parseFits(cutout.stamp)
  const fromPlain = parseFits(gunzipSync(cutout.stamp))
  assert.deepEqual(fromPlain.pixels, fromGzip.pixels)
})

test('integer BITPIX with BSCALE/BZERO and BLANK, big-endian', () => {
  const cases: Array<{ bitpix: number, raw: number[], expect: number[] }> = [
    { bitpix: 8, raw: [0, 7, 255, 9], expect: [-5, 9, 505, NaN] },
    { bitpix: 16, raw: [-32768, -2, 300, 9], expect: [-65541, -9, 595, NaN] },
    { bitpix: 32, raw: [-70000, 1, 2 ** 30, 9], expect: [-140005, -3, 2 ** 31 - 5, NaN] },
    { bitpix: 64, raw: [-3, 2 ** 40, 0, 9], expect: [-11, 2 ** 41 - 5, -5, NaN] }
  ]
  for (const { bitpix, raw, expect } of cases) {
    const fits = buildFits({ NAXIS: 2, NAXIS1: 2, NAXIS2: 2, BSCALE: 2, BZERO: -5, BLANK: 9 }, raw, bitpix)
    const image = parseFits(fits)
    assert.deepEqual(Array.from(image.pixels), expect, `BITPIX ${bitpix}`)
  }
})

test('float BITPIX keeps NaN blanks and negative values; the BLANK keyword does not apply to floats', () => {
  const values = [1.5, NaN, -2.25, 9]
  for (const bitpix of [-32, -64]) {
    const image = parseFits(buildFits({ NAXIS: 2, NAXIS1: 2, NAXIS2: 2, BLANK: 9 }, values, bitpix))
    assert.deepEqual(Array.from(image.pixels), values)
  }
})

test('a 3-D cube gives its first plane; an image in an IMAGE extension after an empty primary HDU is found', () => {
  const cube = parseFits(buildFits({ NAXIS: 3, NAXIS1: 2, NAXIS2: 1, NAXIS3: 2 }, [1, 2, 3, 4], 16))
  assert.deepEqual([cube.width, cube.height, Array.from(cube.pixels)], [2, 1, [1, 2]])
  const primary = buildFits({ NAXIS: 0, EXTEND: true }, [], 8)
  const ext = buildFits({ NAXIS: 2, NAXIS1: 1, NAXIS2: 2 }, [5, 6], 16)
  ext.write('XTENSION' + "= 'IMAGE   '".padEnd(72), 0, 'latin1')
  const image = parseFits(Buffer.concat([primary, ext]))
  assert.deepEqual(Array.from(image.pixels), [5, 6])
})

test('bad data raises FitsError with a message saying what is wrong', () => {
  const good = buildFits({ NAXIS: 2, NAXIS1: 4, NAXIS2: 4 }, new Array(16).fill(1), -32)
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('hello world'.repeat(300)), /does not start with SIMPLE/],
    [good.subarray(0, 2880 + 10), /truncated/],
    [good.subarray(0, 240), /no END card/],
    [buildFits({ NAXIS: 2, NAXIS1: 1, NAXIS2: 1 }, [], 12), /unsupported BITPIX 12/],
    [buildFits({ NAXIS: 2, NAXIS1: 1 }, [], 8), /NAXIS2 is missing/],
    [gzipSync(good).subarray(0, 40), /gzip data could not be inflated/],
    [buildFits({ NAXIS: 1, NAXIS1: 4 }, [1, 2, 3, 4], 8), /no 2-D image/]
  ]
  for (const [input, message] of cases) assert.throws(() => parseFits(input), (err: unknown) => err instanceof FitsError && message.test(err.message))
})
