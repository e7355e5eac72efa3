import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { GatewayError } from '../../src/errors.js'
import { CutoutError, renderCutoutPng } from '../../src/render/cutout.js'
import { parseFits } from '../../src/render/fits.js'
import { buildFits } from './fits-builder.js'
import { decodePng } from './png-decode.js'
import { realCutouts } from './real-cutouts.js'

test('renders the real cutouts of ZTF (gzip FITS) and LSST (plain FITS) alerts as grey PNGs of the stamp size', async () => {
  const cutouts = [...await realCutouts('ZTF19acihgng.avro'), ...await realCutouts('ftransfer-lsst-2026-03-18-part-2.avro')]
  assert.ok(cutouts.length >= 6)
  for (const { stamp, file, kind } of cutouts) {
    const fits = parseFits(stamp)
    const png = decodePng(renderCutoutPng(stamp))
    assert.equal(png.width, fits.width)
    assert.equal(png.height, fits.height)
    assert.equal(png.colourType, 0)
    const levels = new Set(png.pixels)
    assert.ok(levels.size > 50, `${file} ${kind}: ${levels.size} grey levels`)
  }
})

test('north up: FITS row 1 (the bottom) becomes the last PNG row', () => {
  // 3 wide, 4 high; bright first FITS row, varying rest so zscale has something to fit.
  const values = [100, 100, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  const png = decodePng(renderCutoutPng(gzipSync(buildFits({ NAXIS: 2, NAXIS1: 3, NAXIS2: 4 }, values, -32))))
  assert.deepEqual(Array.from(png.pixels.subarray(9, 12)), [255, 255, 255])
  assert.ok(Array.from(png.pixels.subarray(0, 3)).every((v) => v < 255))
})

test('bad stamps raise CutoutError (FG_CUTOUT_INVALID), a GatewayError', () => {
  const bad = [Buffer.alloc(0), Buffer.from('not a fits file'), gzipSync(Buffer.from('SIMPLE  = nonsense')), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2])]
  for (const stamp of bad) {
    assert.throws(() => renderCutoutPng(stamp), (err: unknown) =>
      err instanceof CutoutError && err instanceof GatewayError && err.code === 'FG_CUTOUT_INVALID' && err.message.length > 10)
  }
})
