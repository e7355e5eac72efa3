import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseFits } from '../../src/render/fits.js'
import { minMax, toGrey, zscale } from '../../src/render/stretch.js'
import { realCutouts } from './real-cutouts.js'

function median (values: ArrayLike<number>): number {
  const s = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] ?? NaN : ((s[s.length / 2 - 1] ?? NaN) + (s[s.length / 2] ?? NaN)) / 2
}

test('zscale on real ZTF and LSST cutouts: limits inside the data range, around the median, tighter than min-max', async () => {
  const cutouts = [...await realCutouts('ftransfer-ztf-2026-03-23-part-3.avro'), ...await realCutouts('ftransfer-lsst-2026-03-18-part-2.avro')]
  assert.ok(cutouts.length >= 12)
  let tighter = 0
  for (const { stamp, file, kind } of cutouts) {
    const { pixels } = parseFits(stamp)
    const z = zscale(pixels)
    const range = minMax(pixels)
    const m = median(pixels)
    assert.ok(range.low <= z.low && z.low < m && m < z.high && z.high <= range.high, `${file} ${kind}: ${JSON.stringify({ z, range, m })}`)
    if (z.high - z.low < (range.high - range.low) / 2) tighter++
  }
  // Most stamps hold a star or the transient: a bright core that zscale leaves saturated.
  assert.ok(tighter > cutouts.length / 2, `zscale was much tighter than min-max on ${tighter} of ${cutouts.length}`)
})

test('zscale of a straight ramp is its full range (slope / contrast spans beyond both ends)', () => {
  const ramp = Array.from({ length: 1000 }, (_, i) => i)
  assert.deepEqual(zscale(ramp), { low: 0, high: 999 })
})

test('zscale ignores NaN and is not dragged by a few huge outliers', () => {
  // Deterministic noise in [-1, 1] plus three cosmic rays and blanks.
  const values = Array.from({ length: 3969 }, (_, i) => Math.sin(i * 12.9898) * 1)
  values[10] = 1e6
  values[200] = 5e5
  values[3000] = 2e6
  values[50] = NaN
  values[51] = NaN
  const z = zscale(values)
  assert.ok(z.low >= -1.0001 && z.low < -0.5, `low ${z.low}`)
  assert.ok(z.high > 0.5 && z.high < 10, `high ${z.high}`)
})

test('zscale of nothing usable gives an empty range', () => {
  assert.deepEqual(zscale([NaN, NaN]), { low: 0, high: 0 })
  assert.deepEqual(zscale([]), { low: 0, high: 0 })
  assert.deepEqual(zscale([3, 3, 3, 3, 3, 3]), { low: 3, high: 3 })
})

test('toGrey maps the limits to 0 and 255, clamps outside them, and makes blanks black', () => {
  const grey = toGrey([0, 5, 10, -3, 99, NaN], { low: 0, high: 10 })
  assert.deepEqual(Array.from(grey), [0, 128, 255, 0, 255, 0])
})

test('toGrey of a flat image is mid-grey where there is data', () => {
  assert.deepEqual(Array.from(toGrey([4, 4, NaN], { low: 4, high: 4 })), [128, 128, 0])
})

test('asinh keeps both ends, is monotonic and lifts faint values above the linear curve', () => {
  const values = Array.from({ length: 101 }, (_, i) => i / 100)
  const asinh = Array.from(toGrey(values, { low: 0, high: 1 }, 'asinh'))
  const linear = Array.from(toGrey(values, { low: 0, high: 1 }))
  assert.equal(asinh[0], 0)
  assert.equal(asinh[100], 255)
  for (let i = 1; i < asinh.length; i++) assert.ok((asinh[i] ?? 0) >= (asinh[i - 1] ?? 0))
  assert.ok((asinh[10] ?? 0) > (linear[10] ?? 0) + 40)
})
