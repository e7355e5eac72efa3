import { clear, s } from './dom.js'
import { topicColour } from './topic-colours.js'

const MINUTE = 60000

/**
 * Alerts per topic per minute over the last `minutes` minutes, as stacked SVG bars. Counting is
 * O(1) per alert; drawing happens at most once per animation frame and only when changed.
 */
export class RateChart {
  readonly element: SVGSVGElement
  private readonly bins = new Map<number, Map<string, number>>()
  private dirty = true
  private width = 640
  private lastDraw = 0

  constructor (private readonly minutes = 15, private readonly now: () => number = Date.now) {
    this.element = s('svg', { class: 'rate-chart', viewBox: '0 0 640 200', role: 'img', 'aria-label': 'alerts per topic per minute', 'data-testid': 'rate-chart' })
    // The width is observed, never read while drawing: reading it would force a layout per frame.
    new ResizeObserver((entries) => {
      const width = Math.round(entries[0]?.contentRect.width ?? 0)
      if (width > 0 && width !== this.width) {
        this.width = width
        this.draw(true)
      }
    }).observe(this.element)
  }

  add (topic: string, at: number = this.now()): void {
    const minute = Math.floor(at / MINUTE)
    let bin = this.bins.get(minute)
    if (bin === undefined) {
      bin = new Map()
      this.bins.set(minute, bin)
      for (const old of this.bins.keys()) if (old < minute - this.minutes) this.bins.delete(old)
    }
    bin.set(topic, (bin.get(topic) ?? 0) + 1)
    this.dirty = true
  }

  reset (): void {
    this.bins.clear()
    this.dirty = true
  }

  /**
   * Redraws if something changed (at most twice a second: per-minute bars need no more), or
   * when forced: the minute rolled over or the width changed.
   */
  draw (force = false): void {
    const now = performance.now()
    if (!force && (!this.dirty || now - this.lastDraw < 500)) return
    this.dirty = false
    this.lastDraw = now
    const svg = this.element
    clear(svg)
    // Drawn at the element's own pixel width so text and bars are never stretched.
    const width = Math.max(320, this.width)
    const height = 200
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
    const left = 44
    const bottom = 26
    const top = 10
    const right = 8
    const current = Math.floor(this.now() / MINUTE)
    const first = current - this.minutes + 1
    let max = 0
    for (const [minute, bin] of this.bins) {
      if (minute < first) continue
      let total = 0
      for (const n of bin.values()) total += n
      max = Math.max(max, total)
    }
    const yMax = niceCeil(Math.max(max, 1))
    const plotH = height - top - bottom
    const slot = (width - left - right) / this.minutes
    const y = (v: number): number => top + plotH - (v / yMax) * plotH
    for (const tick of [0, yMax / 2, yMax]) {
      svg.append(s('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }),
        s('text', { x: left - 6, y: y(tick) + 4, class: 'tick', 'text-anchor': 'end' }, formatCount(tick)))
    }
    for (let i = 0; i < this.minutes; i++) {
      const minute = first + i
      const x = left + i * slot + slot * 0.12
      const bin = this.bins.get(minute)
      let base = 0
      if (bin !== undefined) {
        for (const [topic, n] of [...bin.entries()].sort(([a], [b]) => a.localeCompare(b))) {
          svg.append(s('rect', { x, width: slot * 0.76, y: y(base + n), height: y(base) - y(base + n), fill: topicColour(topic), class: 'bar' },
            s('title', {}, `${topic}: ${n} alerts in the minute from ${new Date(minute * MINUTE).toISOString().slice(11, 16)} UTC`)))
          base += n
        }
      }
      const ago = current - minute
      if (ago % 5 === 0) {
        svg.append(s('text', { x: x + slot * 0.38, y: height - 8, class: 'tick', 'text-anchor': 'middle' }, ago === 0 ? 'now' : `−${ago} min`))
      }
    }
    svg.append(s('text', { x: 12, y: top + plotH / 2, class: 'axis-label', transform: `rotate(-90 12 ${top + plotH / 2})`, 'text-anchor': 'middle' }, 'alerts / min'))
  }
}

function niceCeil (v: number): number {
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p
  return 10 * p
}

function formatCount (v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`
  return Number.isInteger(v) ? String(v) : v.toFixed(1)
}
