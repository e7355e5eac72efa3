import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeGreyPng } from '../../src/render/png.js'
import { decodePng } from './png-decode.js'

test('an encoded PNG decodes back to the same size and pixels, with valid CRCs', () => {
  const width = 7
  const height = 5
  const grey = Uint8Array.from({ length: width * height }, (_, i) => (i * 37) % 256)
  const png = encodeGreyPng(width, height, grey)
  const decoded = decodePng(png)
  assert.equal(decoded.width, width)
  assert.equal(decoded.height, height)
  assert.equal(decoded.bitDepth, 8)
  assert.equal(decoded.colourType, 0)
  assert.deepEqual(decoded.filters, [0, 0, 0, 0, 0])
  assert.deepEqual(decoded.pixels, grey)
})

test('a 1x1 image and a wide image round-trip', () => {
  for (const [w, h] of [[1, 1], [300, 2]] as const) {
    const grey = Uint8Array.from({ length: w * h }, (_, i) => 255 - (i % 256))
    assert.deepEqual(decodePng(encodeGreyPng(w, h, grey)).pixels, grey)
  }
})

test('a wrong pixel count or size is refused', () => {
  assert.throws(() => encodeGreyPng(2, 2, new Uint8Array(3)), RangeError)
  assert.throws(() => encodeGreyPng(0, 2, new Uint8Array(0)), RangeError)
  assert.throws(() => encodeGreyPng(1.5, 2, new Uint8Array(3)), RangeError)
})
