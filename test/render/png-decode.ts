import { crc32, inflateSync } from 'node:zlib'

export interface DecodedPng {
  width: number
  height: number
  bitDepth: number
  colourType: number
  /** Grey levels row by row, top row first (filter type 0 only: what our encoder writes). */
  pixels: Uint8Array
  filters: number[]
}

/** An independent reader for the PNGs the renderer writes: checks the signature and every CRC. */
export function decodePng (png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('bad PNG signature')
  let pos = 8
  let ihdr: Buffer | undefined
  const idat: Buffer[] = []
  let ended = false
  while (pos < png.length) {
    const length = png.readUInt32BE(pos)
    const type = png.toString('latin1', pos + 4, pos + 8)
    const data = png.subarray(pos + 8, pos + 8 + length)
    const crc = png.readUInt32BE(pos + 8 + length)
    if (crc !== crc32(png.subarray(pos + 4, pos + 8 + length))) throw new Error(`bad CRC in ${type}`)
    if (type === 'IHDR') ihdr = data
    if (type === 'IDAT') idat.push(data)
    if (type === 'IEND') ended = true
    pos += 12 + length
  }
  if (ihdr === undefined || !ended) throw new Error('missing IHDR or IEND')
  const width = ihdr.readUInt32BE(0)
  const height = ihdr.readUInt32BE(4)
  const raw = inflateSync(Buffer.concat(idat))
  if (raw.length !== (width + 1) * height) throw new Error(`IDAT holds ${raw.length} bytes, expected ${(width + 1) * height}`)
  const pixels = new Uint8Array(width * height)
  const filters: number[] = []
  for (let y = 0; y < height; y++) {
    filters.push(raw[y * (width + 1)] ?? -1)
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width)
  }
  return { width, height, bitDepth: ihdr[8] ?? 0, colourType: ihdr[9] ?? 0, pixels, filters }
}
