import { gunzipSync } from 'node:zlib'

/** One 2-D FITS image: pixel values row by row from FITS row 1 (the bottom), NaN where blank. */
export interface FitsImage {
  width: number
  height: number
  /** width * height physical values (BSCALE/BZERO applied), NaN for blank pixels. */
  pixels: Float64Array
  header: ReadonlyMap<string, string | number | boolean>
}

const BLOCK = 2880
const CARD = 80
/** Larger than any alert stamp by far; bounds what a hostile stamp can make us allocate. */
const MAX_BYTES = 64 * 1024 * 1024
const MAX_PIXELS = 4096 * 4096
const MAX_HDUS = 16

export class FitsError extends Error {}

/** Parses gzip'd or plain FITS and returns the first HDU that holds a 2-D (or larger) image. */
export function parseFits (input: Buffer): FitsImage {
  const data = isGzip(input) ? gunzip(input) : input
  let offset = 0
  for (let hdu = 0; hdu < MAX_HDUS && offset < data.length; hdu++) {
    const { header, dataStart } = readHeader(data, offset, hdu === 0)
    const bitpix = intKey(header, 'BITPIX')
    const naxis = intKey(header, 'NAXIS')
    const axes: number[] = []
    for (let i = 1; i <= naxis; i++) axes.push(intKey(header, `NAXIS${i}`))
    const bytesPerValue = bytesOf(bitpix)
    const pcount = numberOr(header.get('PCOUNT'), 0)
    const gcount = numberOr(header.get('GCOUNT'), 1)
    const dataBytes = naxis === 0 ? 0 : bytesPerValue * gcount * (pcount + axes.reduce((a, b) => a * b, 1))
    const isImage = hdu === 0 || header.get('XTENSION') === 'IMAGE'
    if (isImage && naxis >= 2 && (axes[0] ?? 0) > 0 && (axes[1] ?? 0) > 0) {
      return readImage(data, dataStart, header, bitpix, axes[0] ?? 0, axes[1] ?? 0)
    }
    offset = dataStart + Math.ceil(dataBytes / BLOCK) * BLOCK
  }
  throw new FitsError('no 2-D image in the FITS data')
}

function isGzip (b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b
}

function gunzip (b: Buffer): Buffer {
  try {
    return gunzipSync(b, { maxOutputLength: MAX_BYTES })
  } catch (err) {
    throw new FitsError(`gzip data could not be inflated: ${(err as Error).message}`)
  }
}

function readHeader (data: Buffer, start: number, primary: boolean): { header: Map<string, string | number | boolean>, dataStart: number } {
  const header = new Map<string, string | number | boolean>()
  for (let pos = start; pos + CARD <= data.length; pos += CARD) {
    const card = data.toString('latin1', pos, pos + CARD)
    const key = card.slice(0, 8).trim()
    if (pos === start) {
      const expected = primary ? 'SIMPLE' : 'XTENSION'
      if (key !== expected) throw new FitsError(`not FITS: the header does not start with ${expected}`)
    }
    if (key === 'END') {
      const headerEnd = pos + CARD
      return { header, dataStart: start + Math.ceil((headerEnd - start) / BLOCK) * BLOCK }
    }
    if (card.slice(8, 10) === '= ') header.set(key, parseValue(card.slice(10)))
  }
  throw new FitsError('FITS header has no END card')
}

function parseValue (text: string): string | number | boolean {
  const trimmed = text.trim()
  if (trimmed.startsWith("'")) {
    const match = /^'((?:[^']|'')*)'/.exec(trimmed)
    return match === null ? '' : (match[1] ?? '').replace(/''/g, "'").trimEnd()
  }
  const value = trimmed.split('/')[0]?.trim() ?? ''
  if (value === 'T') return true
  if (value === 'F') return false
  const n = Number(value.replace(/D/i, 'E'))
  return Number.isNaN(n) ? value : n
}

function intKey (header: ReadonlyMap<string, unknown>, key: string): number {
  const v = header.get(key)
  if (typeof v !== 'number' || !Number.isInteger(v) || (v < 0 && key !== 'BITPIX')) {
    throw new FitsError(`FITS header keyword ${key} is missing or not an integer`)
  }
  return v
}

function numberOr (v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback
}

function bytesOf (bitpix: number): number {
  switch (bitpix) {
    case 8: return 1
    case 16: return 2
    case 32: case -32: return 4
    case 64: case -64: return 8
    default: throw new FitsError(`unsupported BITPIX ${bitpix}`)
  }
}

function readImage (data: Buffer, start: number, header: ReadonlyMap<string, string | number | boolean>,
  bitpix: number, width: number, height: number): FitsImage {
  const count = width * height
  if (count > MAX_PIXELS) throw new FitsError(`image of ${width}x${height} pixels is too large`)
  const size = bytesOf(bitpix)
  if (start + count * size > data.length) throw new FitsError(`FITS data is truncated: ${width}x${height} pixels need ${count * size} bytes`)
  const bscale = numberOr(header.get('BSCALE'), 1)
  const bzero = numberOr(header.get('BZERO'), 0)
  const blankValue = header.get('BLANK')
  const blank = bitpix > 0 && typeof blankValue === 'number' ? blankValue : undefined
  const view = new DataView(data.buffer, data.byteOffset + start, count * size)
  const pixels = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const raw = readValue(view, i * size, bitpix)
    pixels[i] = blank !== undefined && raw === blank ? NaN : bzero + bscale * raw
  }
  return { width, height, pixels, header }
}

function readValue (view: DataView, at: number, bitpix: number): number {
  switch (bitpix) {
    case 8: return view.getUint8(at)
    case 16: return view.getInt16(at)
    case 32: return view.getInt32(at)
    case 64: return Number(view.getBigInt64(at))
    case -32: return view.getFloat32(at)
    default: return view.getFloat64(at)
  }
}
