/**
 * What the stream table and the explorer header show of an alert, for ZTF (objectId,
 * candidate, prv_candidates) and Rubin/LSST (diaSource, diaObject, prvDiaSources) packets.
 * Alerts arrive with int64=string, so 64-bit ids are strings and stay exact.
 */
export type Alert = Record<string, unknown>

export interface AlertSummary {
  survey: 'ZTF' | 'LSST' | 'unknown'
  id: string
  /** Observation time as Unix milliseconds, when the alert says. */
  observedMs: number | undefined
  mag: number | undefined
  magErr: number | undefined
  /** Flux in nJy (LSST). */
  flux: number | undefined
  fluxErr: number | undefined
  filter: string | undefined
  classification: string | undefined
  ra: number | undefined
  dec: number | undefined
}

export const ZTF_FILTERS: Readonly<Record<number, string>> = { 1: 'g', 2: 'r', 3: 'i' }

const JD_UNIX_EPOCH = 2440587.5
const MJD_UNIX_EPOCH = 40587

export function jdToMs (jd: number): number {
  return (jd - JD_UNIX_EPOCH) * 86400000
}

export function mjdToMs (mjd: number): number {
  return (mjd - MJD_UNIX_EPOCH) * 86400000
}

export function record (value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
}

export function num (value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return undefined
}

function str (value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return undefined
}

function nonZero (value: unknown): string | undefined {
  const text = str(value)
  return text === '0' ? undefined : text
}

export function surveyOf (alert: Alert): AlertSummary['survey'] {
  if (record(alert.candidate) !== undefined) return 'ZTF'
  if (record(alert.diaSource) !== undefined) return 'LSST'
  return 'unknown'
}

/** Labels that carry no information and would only fill the column. */
const EMPTY_LABELS = new Set(['Unknown', 'Fail', 'Fail 504', 'nan', 'null', ''])

function label (value: unknown): string | undefined {
  const text = str(value)
  return text !== undefined && !EMPTY_LABELS.has(text) ? text : undefined
}

/** Fink's labels, most specific first: its own class, TNS, SIMBAD cross-match, asteroid flag. */
export function classificationOf (alert: Alert): string | undefined {
  const direct = label(alert.finkclass) ?? label(alert.classification) ?? label(alert.tnsclass) ?? label(alert.cdsxmatch)
  if (direct !== undefined) return direct
  const roid = num(alert.roid)
  if (roid === 3) return 'Solar System (confirmed)'
  if (roid === 2) return 'Solar System (candidate)'
  const xm = record(alert.xm)
  if (xm !== undefined) {
    const lsst = label(xm.tns_type) ?? label(xm.simbad_otype) ?? label(xm.gcvs_type) ?? label(xm.vsx_Type)
    if (lsst !== undefined) return lsst
  }
  const pred = record(alert.pred)
  if (pred?.is_sso === true) return 'Solar System'
  return undefined
}

export function summarize (alert: Alert): AlertSummary {
  const survey = surveyOf(alert)
  const summary: AlertSummary = {
    survey,
    id: '',
    observedMs: undefined,
    mag: undefined,
    magErr: undefined,
    flux: undefined,
    fluxErr: undefined,
    filter: undefined,
    classification: classificationOf(alert),
    ra: undefined,
    dec: undefined
  }
  if (survey === 'ZTF') {
    const c = record(alert.candidate) ?? {}
    const jd = num(c.jd)
    const fid = num(c.fid)
    summary.id = str(alert.objectId) ?? str(alert.candid) ?? ''
    summary.observedMs = jd === undefined ? undefined : jdToMs(jd)
    summary.mag = num(c.magpsf)
    summary.magErr = num(c.sigmapsf)
    summary.filter = fid === undefined ? undefined : ZTF_FILTERS[fid] ?? String(fid)
    summary.ra = num(c.ra)
    summary.dec = num(c.dec)
  } else if (survey === 'LSST') {
    const d = record(alert.diaSource) ?? {}
    const o = record(alert.diaObject) ?? {}
    const mjd = num(d.midpointMjdTai) ?? num(d.midPointTai)
    // Solar System sources have diaObjectId 0 and their own ssObjectId / MPC designation.
    const ss = record(alert.ssSource)
    summary.id = nonZero(d.diaObjectId) ?? nonZero(o.diaObjectId) ?? str(ss?.designation) ?? nonZero(d.ssObjectId) ??
      str(alert.diaSourceId) ?? str(d.diaSourceId) ?? str(alert.alertId) ?? ''
    summary.observedMs = mjd === undefined ? undefined : mjdToMs(mjd)
    summary.flux = num(d.psfFlux) ?? num(d.psFlux)
    summary.fluxErr = num(d.psfFluxErr) ?? num(d.psFluxErr)
    if (summary.flux !== undefined && summary.flux > 0) {
      summary.mag = fluxToMag(summary.flux)
      if (summary.fluxErr !== undefined) summary.magErr = (2.5 / Math.LN10) * summary.fluxErr / summary.flux
    }
    summary.filter = str(d.band) ?? str(d.filterName)
    summary.ra = num(d.ra) ?? num(o.ra)
    summary.dec = num(d.dec) ?? num(d.decl) ?? num(o.dec) ?? num(o.decl)
  } else {
    summary.id = str(alert.objectId) ?? str(alert.alertId) ?? str(alert.candid) ?? ''
    summary.ra = num(alert.ra)
    summary.dec = num(alert.dec)
  }
  return summary
}

/** AB magnitude of a flux in nJy. */
export function fluxToMag (fluxNJy: number): number {
  return 31.4 - 2.5 * Math.log10(fluxNJy)
}

export function formatUtc (ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—'
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

/** Sexagesimal coordinates, as astronomers read them. */
export function formatRaDec (ra: number, dec: number): string {
  const hours = ra / 15
  const h = Math.floor(hours)
  const m = Math.floor((hours - h) * 60)
  const sec = ((hours - h) * 60 - m) * 60
  const sign = dec < 0 ? '−' : '+'
  const ad = Math.abs(dec)
  const d = Math.floor(ad)
  const dm = Math.floor((ad - d) * 60)
  const ds = ((ad - d) * 60 - dm) * 60
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${two(h)}:${two(m)}:${sec.toFixed(2).padStart(5, '0')} ${sign}${two(d)}:${two(dm)}:${ds.toFixed(1).padStart(4, '0')}`
}
