/** The light curve drawn as SVG (see photometry.ts for the points). */
import { s } from './dom.js'
import { BAND_COLOURS, type LightCurve, type PhotPoint } from './photometry.js'

const BAND_ORDER = ['u', 'g', 'r', 'i', 'z', 'y', 'Y']

const W = 720
const H = 380
const M = { left: 64, right: 16, top: 34, bottom: 46 }

/** The light curve as SVG: one colour per band, error bars, open down-triangles for limits. */
export function renderLightCurve (curve: LightCurve): SVGSVGElement {
  const svg = s('svg', { class: 'lightcurve', viewBox: `0 0 ${W} ${H}`, 'data-testid': 'lightcurve', 'data-kind': curve.kind, role: 'img', 'aria-label': 'light curve' })
  const { points } = curve
  if (points.length === 0) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'no photometry in this alert'))
    return svg
  }
  const xs = points.map((p) => p.mjd)
  const ys = points.flatMap((p) => p.error !== undefined ? [p.value - p.error, p.value + p.error] : [p.value])
  const [x0, x1] = padded(Math.min(...xs), Math.max(...xs), 0.04, 1)
  let [y0, y1] = padded(Math.min(...ys), Math.max(...ys), 0.08, curve.kind === 'magnitude' ? 0.5 : 100)
  if (curve.kind === 'flux') { y0 = Math.min(y0, 0); y1 = Math.max(y1, 0) }
  const px = (mjd: number): number => M.left + ((mjd - x0) / (x1 - x0)) * (W - M.left - M.right)
  // Magnitudes: brighter is up, so the axis runs from y1 (faint, bottom) to y0 (bright, top).
  const py = curve.kind === 'magnitude'
    ? (v: number): number => M.top + ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom)
    : (v: number): number => M.top + ((y1 - v) / (y1 - y0)) * (H - M.top - M.bottom)

  const axes = s('g', { class: 'axes' })
  for (const t of ticks(x0, x1, 6)) {
    axes.append(s('line', { x1: px(t), x2: px(t), y1: M.top, y2: H - M.bottom, class: 'grid' }),
      s('text', { x: px(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, formatTick(t)))
  }
  for (const t of ticks(y0, y1, 6)) {
    axes.append(s('line', { x1: M.left, x2: W - M.right, y1: py(t), y2: py(t), class: t === 0 && curve.kind === 'flux' ? 'zero' : 'grid' }),
      s('text', { x: M.left - 8, y: py(t) + 4, 'text-anchor': 'end', class: 'tick' }, formatTick(t)))
  }
  axes.append(
    s('rect', { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, class: 'frame' }),
    s('text', { x: (M.left + W - M.right) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-label' }, 'MJD (days)'),
    s('text', { x: 16, y: (M.top + H - M.bottom) / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 16 ${(M.top + H - M.bottom) / 2})` },
      curve.kind === 'magnitude' ? 'PSF magnitude (AB)' : 'difference PSF flux (nJy)'))
  svg.append(axes)

  const marks = s('g', { class: 'marks' })
  for (const p of [...points].sort((a, b) => Number(a.current) - Number(b.current))) {
    const colour = BAND_COLOURS[p.band] ?? '#ccc'
    const x = px(p.mjd)
    const y = py(p.value)
    const title = s('title', {}, `${p.band} · MJD ${p.mjd.toFixed(5)} · ${p.upperLimit ? `upper limit ${p.value.toFixed(2)}` : `${formatValue(p.value, curve.kind)}${p.error !== undefined ? ` ± ${formatValue(p.error, curve.kind)}` : ''}`}${curve.kind === 'flux' ? ' nJy' : ''}${p.current ? ' · this alert' : ''}`)
    if (p.upperLimit) {
      marks.append(s('path', { d: `M${x - 5},${y - 4} L${x + 5},${y - 4} L${x},${y + 5} Z`, class: 'limit', stroke: colour, 'data-testid': 'lightcurve-limit', 'data-band': p.band }, title))
      continue
    }
    const g = s('g', { 'data-testid': 'lightcurve-point', 'data-band': p.band, 'data-mjd': p.mjd, 'data-value': p.value, class: p.current ? 'point current' : 'point' }, title)
    if (p.error !== undefined) g.append(s('line', { x1: x, x2: x, y1: py(p.value - p.error), y2: py(p.value + p.error), stroke: colour, class: 'errorbar' }))
    g.append(s('circle', { cx: x, cy: y, r: p.current ? 5.5 : 3.5, fill: colour }))
    if (p.current) g.append(s('circle', { cx: x, cy: y, r: 9, class: 'current-ring', stroke: colour }))
    marks.append(g)
  }
  svg.append(marks)
  svg.append(legend(points))
  return svg
}

function legend (points: PhotPoint[]): SVGGElement {
  const bands = [...new Set(points.map((p) => p.band))].sort((a, b) => bandRank(a) - bandRank(b))
  const g = s('g', { class: 'legend' })
  let x = M.left
  for (const band of bands) {
    const n = points.filter((p) => p.band === band && !p.upperLimit).length
    const colour = BAND_COLOURS[band] ?? '#ccc'
    g.append(s('circle', { cx: x + 5, cy: 16, r: 4.5, fill: colour }), s('text', { x: x + 14, y: 20, class: 'legend-text' }, `${band} (${n})`))
    x += 70
  }
  if (points.some((p) => p.upperLimit)) {
    g.append(s('path', { d: `M${x},${12} L${x + 10},${12} L${x + 5},${21} Z`, class: 'limit', stroke: '#aab' }), s('text', { x: x + 16, y: 20, class: 'legend-text' }, 'upper limit (diffmaglim)'))
    x += 190
  }
  if (points.some((p) => p.current)) {
    g.append(s('circle', { cx: x + 6, cy: 16, r: 6, class: 'current-ring', stroke: '#ddd' }), s('text', { x: x + 18, y: 20, class: 'legend-text' }, 'this alert'))
  }
  return g
}

function bandRank (band: string): number {
  const i = BAND_ORDER.indexOf(band)
  return i < 0 ? 99 : i
}

function padded (lo: number, hi: number, fraction: number, minimumSpan: number): [number, number] {
  let span = hi - lo
  if (span < minimumSpan) {
    const mid = (lo + hi) / 2
    lo = mid - minimumSpan / 2
    hi = mid + minimumSpan / 2
    span = minimumSpan
  }
  return [lo - span * fraction, hi + span * fraction]
}

function ticks (lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count
  const p = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p
  const out: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)))
  return out
}

function formatTick (t: number): string {
  return Math.abs(t) >= 10000 || Number.isInteger(t) ? String(Math.round(t * 100) / 100) : String(Number(t.toPrecision(4)))
}

function formatValue (v: number, kind: LightCurve['kind']): string {
  return kind === 'magnitude' ? v.toFixed(3) : v.toFixed(1)
}
