import { GatewayError } from '../errors.js'
import { FitsError, parseFits } from './fits.js'
import { encodeGreyPng } from './png.js'
import { toGrey, zscale } from './stretch.js'

/** A cutout whose bytes are not a FITS image we can draw. */
export class CutoutError extends GatewayError {
  constructor (message: string, cause?: unknown) {
    super('FG_CUTOUT_INVALID', message, { cause })
  }
}

/**
 * gzip'd (ZTF) or plain (LSST) FITS stamp -> 8-bit grey PNG with IRAF's zscale, the stretch of
 * DS9 and Fink's own portal. North up as astronomers expect: FITS row 1 is the bottom row, so
 * rows are flipped for the image, whose first row is the top.
 */
export function renderCutoutPng (stamp: Buffer): Buffer {
  if (stamp.length === 0) throw new CutoutError('the cutout is empty')
  let image
  try {
    image = parseFits(stamp)
  } catch (err) {
    if (err instanceof FitsError) throw new CutoutError(`the cutout is not a readable FITS image: ${err.message}`, err)
    throw err
  }
  const { width, height, pixels } = image
  const grey = toGrey(pixels, zscale(pixels))
  const flipped = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    flipped.set(grey.subarray((height - 1 - y) * width, (height - y) * width), y * width)
  }
  return encodeGreyPng(width, height, flipped)
}
