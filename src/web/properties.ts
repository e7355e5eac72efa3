import { h } from './dom.js'

const CUTOUT_FIELDS = new Set(['cutoutScience', 'cutoutTemplate', 'cutoutDifference'])
const MAX_TABLE_ROWS = 500

/**
 * Every field of the alert, readable: scalars in a key/value table, records as nested tables
 * that fold, arrays of records (prv_candidates, prvDiaSources) as one compact table each.
 */
export function renderProperties (alert: Record<string, unknown>): HTMLElement {
  return h('div', { class: 'properties', 'data-testid': 'properties' }, recordTable(alert, 0))
}

function recordTable (value: Record<string, unknown>, depth: number): HTMLElement {
  const scalars: Array<[string, unknown]> = []
  const nested: Array<[string, unknown]> = []
  for (const [k, v] of Object.entries(value)) {
    if (CUTOUT_FIELDS.has(k) || !isComposite(v)) scalars.push([k, v])
    else nested.push([k, v])
  }
  const table = h('table', { class: 'kv' }, h('tbody', {}, ...scalars.map(([k, v]) =>
    h('tr', {}, h('th', {}, k), h('td', {}, CUTOUT_FIELDS.has(k) ? cutoutNote(v) : scalar(v))))))
  const sections = nested.map(([k, v]) => {
    const summary = Array.isArray(v) ? `${k} · ${v.length} entries` : k
    const open = depth === 0 && (k === 'candidate' || k === 'diaSource' || k === 'diaObject')
    return h('details', { class: 'nested', open }, h('summary', {}, summary),
      Array.isArray(v) ? arrayView(v, depth + 1) : recordTable(v as Record<string, unknown>, depth + 1))
  })
  return h('div', { class: 'record' }, scalars.length > 0 ? table : null, ...sections)
}

function arrayView (items: unknown[], depth: number): HTMLElement {
  if (items.length === 0) return h('p', { class: 'dim' }, 'empty')
  if (items.every((i) => i !== null && typeof i === 'object' && !Array.isArray(i))) {
    const columns = [...new Set(items.flatMap((i) => Object.keys(i as object)))]
    const rows = items.slice(0, MAX_TABLE_ROWS) as Array<Record<string, unknown>>
    return h('div', { class: 'table-scroll' }, h('table', { class: 'grid-table' },
      h('thead', {}, h('tr', {}, h('th', {}, '#'), ...columns.map((c) => h('th', {}, c)))),
      h('tbody', {}, ...rows.map((row, n) => h('tr', {}, h('td', { class: 'dim' }, String(n)),
        ...columns.map((c) => h('td', {}, isComposite(row[c]) ? JSON.stringify(row[c]) : scalar(row[c]))))))),
    items.length > MAX_TABLE_ROWS ? h('p', { class: 'dim' }, `${items.length - MAX_TABLE_ROWS} more not shown`) : null)
  }
  return h('ol', { class: 'plain-list' }, ...items.map((i) => h('li', {}, isComposite(i) ? recordTable(i as Record<string, unknown>, depth) : scalar(i))))
}

function isComposite (v: unknown): boolean {
  return v !== null && typeof v === 'object'
}

function scalar (v: unknown): Node | string {
  if (v === null || v === undefined) return h('span', { class: 'null' }, 'null')
  if (typeof v === 'boolean') return h('span', { class: 'bool' }, String(v))
  if (typeof v === 'number') return h('span', { class: 'number' }, String(v))
  const text = String(v)
  // Long base64 values (bytes) would swamp the table.
  if (text.length > 200) return h('span', { class: 'dim', title: `${text.length} characters` }, `${text.slice(0, 60)}… (${text.length} characters)`)
  return /^-?\d+$/.test(text) ? h('span', { class: 'number' }, text) : text
}

function cutoutNote (v: unknown): Node {
  const data = v !== null && typeof v === 'object' ? (v as { stampData?: unknown }).stampData : v
  if (typeof data !== 'string') return h('span', { class: 'null' }, 'null')
  const bytes = Math.floor((data.length * 3) / 4)
  return h('span', { class: 'dim' }, `FITS image, ${(bytes / 1024).toFixed(1)} KiB (shown above)`)
}
