const DEG = Math.PI / 180
const ARCSEC_PER_RADIAN = 180 * 3600 / Math.PI

/**
 * Great-circle distance between two sky positions (degrees in, arcseconds out), by the Vincenty
 * formula: accurate at every separation, unlike the plain cosine law near 0 and haversine near 180°.
 */
export function angularSeparationArcsec (ra1: number, dec1: number, ra2: number, dec2: number): number {
  const dRa = (ra2 - ra1) * DEG
  const d1 = dec1 * DEG
  const d2 = dec2 * DEG
  const sinD1 = Math.sin(d1)
  const cosD1 = Math.cos(d1)
  const sinD2 = Math.sin(d2)
  const cosD2 = Math.cos(d2)
  const cosDRa = Math.cos(dRa)
  const x = cosD2 * Math.sin(dRa)
  const y = cosD1 * sinD2 - sinD1 * cosD2 * cosDRa
  const z = sinD1 * sinD2 + cosD1 * cosD2 * cosDRa
  return Math.atan2(Math.hypot(x, y), z) * ARCSEC_PER_RADIAN
}

function finiteNumber (value: unknown): number | undefined {
  const n = typeof value === 'bigint' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

function ownField (record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null && Object.hasOwn(record, name)
    ? (record as Record<string, unknown>)[name]
    : undefined
}

/**
 * The alert's position in degrees: `candidate.ra/dec` (ZTF), `diaSource.ra/dec` (LSST;
 * `decl` in ELAsTiCC), or top-level `ra/dec`. Undefined when none is there.
 */
export function alertPosition (alert: unknown): { ra: number, dec: number } | undefined {
  for (const holder of [ownField(alert, 'candidate'), ownField(alert, 'diaSource'), alert]) {
    const ra = finiteNumber(ownField(holder, 'ra'))
    const dec = finiteNumber(ownField(holder, 'dec')) ?? finiteNumber(ownField(holder, 'decl'))
    if (ra !== undefined && dec !== undefined) return { ra, dec }
  }
  return undefined
}
