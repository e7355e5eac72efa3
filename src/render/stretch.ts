/** Display limits for an image: values at or below `low` are black, at or above `high` white. */
export interface Limits {
  low: number
  high: number
}

export interface ZscaleOptions {
  samples: number
  contrast: number
  maxReject: number
  minPixels: number
  rejectSigma: number
  maxIterations: number
}

const ZSCALE_DEFAULTS: ZscaleOptions = { samples: 1000, contrast: 0.25, maxReject: 0.5, minPixels: 5, rejectSigma: 2.5, maxIterations: 5 }

/**
 * IRAF's zscale (as astropy's ZScaleInterval does it): fit a line to the sorted sample with
 * iterative sigma rejection and take limits around the median from its slope / contrast.
 * Astronomers know it from DS9 and the Fink science portal: faint structure stays visible
 * while a bright star saturates instead of flattening everything else.
 */
export function zscale (values: ArrayLike<number>, options: Partial<ZscaleOptions> = {}): Limits {
  const o = { ...ZSCALE_DEFAULTS, ...options }
  const sample = finiteSample(values, o.samples).sort((a, b) => a - b)
  const n = sample.length
  if (n === 0) return { low: 0, high: 0 }
  let low = sample[0] ?? 0
  let high = sample[n - 1] ?? 0
  const minPixels = Math.max(o.minPixels, Math.floor(n * o.maxReject))
  const grow = Math.max(1, Math.floor(n * 0.01))
  let bad: Uint8Array = new Uint8Array(n)
  let good = n
  let lastGood = n + 1
  let slope = 0
  let intercept = 0
  for (let iter = 0; iter < o.maxIterations && good < lastGood && good >= minPixels; iter++) {
    ;[slope, intercept] = fitLine(sample, bad)
    let sum = 0
    let sum2 = 0
    let count = 0
    for (let i = 0; i < n; i++) {
      if (bad[i] === 1) continue
      const r = (sample[i] ?? 0) - (slope * i + intercept)
      sum += r
      sum2 += r * r
      count++
    }
    const mean = sum / count
    const threshold = o.rejectSigma * Math.sqrt(Math.max(0, sum2 / count - mean * mean))
    const rejected = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const r = (sample[i] ?? 0) - (slope * i + intercept)
      if (bad[i] === 1 || r < -threshold || r > threshold) rejected[i] = 1
    }
    bad = dilate(rejected, grow)
    lastGood = good
    good = bad.reduce((acc, b) => acc + (b === 0 ? 1 : 0), 0)
  }
  if (good >= minPixels) {
    const s = o.contrast > 0 ? slope / o.contrast : slope
    const center = Math.floor((n - 1) / 2)
    const median = n % 2 === 1 ? (sample[center] ?? 0) : ((sample[center] ?? 0) + (sample[center + 1] ?? 0)) / 2
    low = Math.max(low, median - (center - 1) * s)
    high = Math.min(high, median + (n - center) * s)
  }
  return { low, high }
}

/** Min and max of the finite values: the plain linear stretch. */
export function minMax (values: ArrayLike<number>): Limits {
  let low = Infinity
  let high = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN
    if (!Number.isFinite(v)) continue
    if (v < low) low = v
    if (v > high) high = v
  }
  return low === Infinity ? { low: 0, high: 0 } : { low, high }
}

/**
 * Maps values to 8-bit grey levels between the limits, linearly or through asinh (which keeps
 * faint wings and bright cores in one picture). NaN (blank) pixels become 0.
 */
export function toGrey (values: ArrayLike<number>, limits: Limits, curve: 'linear' | 'asinh' = 'linear', softening = 0.1): Uint8Array {
  const out = new Uint8Array(values.length)
  const span = limits.high - limits.low
  if (!(span > 0)) {
    // A flat image: mid-grey where there is data, so it does not look like a missing one.
    for (let i = 0; i < values.length; i++) out[i] = Number.isFinite(values[i] ?? NaN) ? 128 : 0
    return out
  }
  const norm = curve === 'asinh' ? Math.asinh(1 / softening) : 1
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN
    if (!Number.isFinite(v)) continue
    let x = Math.min(1, Math.max(0, (v - limits.low) / span))
    if (curve === 'asinh') x = Math.asinh(x / softening) / norm
    out[i] = Math.round(x * 255)
  }
  return out
}

function finiteSample (values: ArrayLike<number>, max: number): number[] {
  const finite: number[] = []
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN
    if (Number.isFinite(v)) finite.push(v)
  }
  if (finite.length <= max) return finite
  const stride = finite.length / max
  const sample: number[] = []
  for (let i = 0; i < max; i++) sample.push(finite[Math.floor(i * stride)] ?? 0)
  return sample
}

function fitLine (y: number[], bad: Uint8Array): [number, number] {
  let n = 0
  let sx = 0
  let sy = 0
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < y.length; i++) {
    if (bad[i] === 1) continue
    const v = y[i] ?? 0
    n++
    sx += i
    sy += v
    sxx += i * i
    sxy += i * v
  }
  const det = n * sxx - sx * sx
  if (n === 0 || det === 0) return [0, n === 0 ? 0 : sy / n]
  const slope = (n * sxy - sx * sy) / det
  return [slope, (sy - slope * sx) / n]
}

function dilate (mask: Uint8Array, width: number): Uint8Array {
  if (width <= 1) return mask
  const out = new Uint8Array(mask.length)
  // Same centring as numpy.convolve(mode='same') with a box of `width` ones.
  const before = Math.floor((width - 1) / 2)
  const after = width - 1 - before
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 1) continue
    for (let j = Math.max(0, i - after); j <= Math.min(mask.length - 1, i + before); j++) out[j] = 1
  }
  return out
}
