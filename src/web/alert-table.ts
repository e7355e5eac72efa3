import type { Item } from './api.js'
import { explorePath } from './api.js'
import { formatUtc, summarize } from './alert-fields.js'
import { h } from './dom.js'
import { topicColour } from './topic-colours.js'

/**
 * The latest alerts, newest first, at most `maxRows` rows. Alerts are queued as they arrive and
 * written to the DOM once per animation frame, so 100 alerts/s cost one layout per frame.
 */
export class AlertTable {
  readonly element: HTMLTableElement
  private readonly body: HTMLTableSectionElement
  private pending: Item[] = []

  constructor (private readonly maxRows = 100, private readonly onOpen: (item: Item, event: MouseEvent) => void = () => {}) {
    this.body = h('tbody')
    // Fixed column widths: the table is laid out from the first row alone, not all 200 again on every frame.
    const widths = ['7%', '15%', '15%', '13%', '9%', '5%', '13%', '8%', '8%', '7%']
    this.element = h('table', { class: 'alerts', 'data-testid': 'alerts-table' },
      h('colgroup', {}, ...widths.map((width) => h('col', { style: `width:${width}` }))),
      h('thead', {}, h('tr', {},
        h('th', {}, 'Received'), h('th', {}, 'Topic'), h('th', {}, 'Object'), h('th', { title: 'observation time, UTC' }, 'Observed (UTC)'),
        h('th', { class: 'num' }, 'Mag'), h('th', {}, 'Filter'), h('th', {}, 'Classification'),
        h('th', { class: 'num' }, 'RA'), h('th', { class: 'num' }, 'Dec'), h('th', { class: 'num' }, 'Offset'))),
      this.body)
  }

  push (item: Item): void {
    this.pending.push(item)
    // Only the newest rows can ever be shown.
    if (this.pending.length > this.maxRows * 2) this.pending = this.pending.slice(-this.maxRows)
  }

  clear (): void {
    this.pending = []
    this.body.replaceChildren()
  }

  /** Called once per animation frame. */
  flush (): void {
    if (this.pending.length === 0) return
    const items = this.pending.slice(-this.maxRows).reverse()
    this.pending = []
    const fragment = document.createDocumentFragment()
    for (const item of items) fragment.append(this.row(item))
    this.body.prepend(fragment)
    while (this.body.rows.length > this.maxRows) this.body.lastElementChild?.remove()
  }

  private row (item: Item): HTMLTableRowElement {
    const received = new Date().toISOString().slice(11, 19)
    const href = explorePath(item.topic, item.partition, item.offset)
    const open = (event: Event): void => { this.onOpen(item, event as MouseEvent) }
    if (item.alert === null) {
      return h('tr', { class: 'error-row' }, h('td', {}, received), h('td', {}, item.topic),
        h('td', { colspan: 7 }, `undecodable: ${item.error?.code ?? ''} ${item.error?.message ?? ''}`),
        h('td', { class: 'num' }, String(item.offset)))
    }
    const a = summarize(item.alert)
    const mag = a.mag === undefined ? '—' : a.magErr === undefined ? a.mag.toFixed(2) : `${a.mag.toFixed(2)} ± ${a.magErr.toFixed(2)}`
    return h('tr', {},
      h('td', { class: 'mono dim' }, received),
      h('td', { title: item.topic }, h('span', { class: 'dot', style: `background:${topicColour(item.topic)}` }), item.topic),
      h('td', { title: a.id }, h('a', { href, class: 'object-link', onclick: open }, a.id !== '' ? a.id : '(no id)')),
      h('td', { class: 'mono' }, formatUtc(a.observedMs)),
      h('td', { class: 'num mono' }, mag),
      h('td', {}, a.filter === undefined ? '—' : h('span', { class: `band band-${a.filter}` }, a.filter)),
      h('td', { title: a.classification ?? '' }, a.classification ?? h('span', { class: 'dim' }, '—')),
      h('td', { class: 'num mono' }, a.ra?.toFixed(5) ?? '—'),
      h('td', { class: 'num mono' }, a.dec?.toFixed(5) ?? '—'),
      h('td', { class: 'num mono dim' }, `${item.partition}:${item.offset}`))
  }
}
