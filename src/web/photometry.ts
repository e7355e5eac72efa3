/** The photometry of an alert, free of the DOM so it can be tested in Node. */
import type { Alert } from './alert-fields.js'
import { num, record, ZTF_FILTERS } from './alert-fields.js'

/** One photometric point: a detection (value ± error) or an upper limit (value only). */
export interface PhotPoint {
  mjd: number
  value: number
  error: number | undefined
  band: string
  upperLimit: boolean
  current: boolean
}

export interface LightCurve {
  kind: 'magnitude' | 'flux'
  points: PhotPoint[]
}

export const BAND_COLOURS: Readonly<Record<string, string>> = {
  u: '#9b8cff', g: '#4cc38a', r: '#ef5b5b', i: '#f2b94b', z: '#d973e6', y: '#c49a6c', Y: '#c49a6c'
}

/**
 * ZTF: candidate + prv_candidates, magpsf ± sigmapsf against MJD, entries without magpsf are
 * upper limits at diffmaglim. LSST: diaSource + prvDiaSources, difference-image PSF flux in nJy
 * (often negative, so no magnitudes) against midpointMjdTai.
 */
export function extractLightCurve (alert: Alert): LightCurve {
  const candidate = record(alert.candidate)
  if (candidate !== undefined) {
    const points: PhotPoint[] = []
    const history = Array.isArray(alert.prv_candidates) ? alert.prv_candidates : []
    for (const [entry, current] of [...history.map((p) => [p, false] as const), [candidate, true] as const]) {
      const c = record(entry)
      const jd = num(c?.jd)
      const fid = num(c?.fid)
      if (c === undefined || jd === undefined) continue
      const band = fid === undefined ? '?' : ZTF_FILTERS[fid] ?? String(fid)
      const mag = num(c.magpsf)
      const limit = num(c.diffmaglim)
      if (mag !== undefined) points.push({ mjd: jd - 2400000.5, value: mag, error: num(c.sigmapsf), band, upperLimit: false, current })
      else if (limit !== undefined) points.push({ mjd: jd - 2400000.5, value: limit, error: undefined, band, upperLimit: true, current })
    }
    return { kind: 'magnitude', points }
  }
  const source = record(alert.diaSource)
  if (source !== undefined) {
    const points: PhotPoint[] = []
    const history = Array.isArray(alert.prvDiaSources) ? alert.prvDiaSources : []
    for (const [entry, current] of [...history.map((p) => [p, false] as const), [source, true] as const]) {
      const d = record(entry)
      const mjd = num(d?.midpointMjdTai) ?? num(d?.midPointTai)
      const flux = num(d?.psfFlux) ?? num(d?.psFlux)
      if (d === undefined || mjd === undefined || flux === undefined) continue
      const band = String(d.band ?? d.filterName ?? '?')
      points.push({ mjd, value: flux, error: num(d.psfFluxErr) ?? num(d.psFluxErr), band, upperLimit: false, current })
    }
    return { kind: 'flux', points }
  }
  return { kind: 'magnitude', points: [] }
}
