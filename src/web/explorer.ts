import type { Item } from './api.js'
import { alertPath, ApiError, getJson, imageUrl } from './api.js'
import { formatRaDec, formatUtc, summarize } from './alert-fields.js'
import { background, h } from './dom.js'
import { renderLightCurve } from './light-curve.js'
import { extractLightCurve } from './photometry.js'
import { renderProperties } from './properties.js'
import { renderSkyView } from './sky-view.js'

export interface AlertAddress {
  topic: string
  partition: string
  offset: string
}

export function parseExplorePath (path: string): AlertAddress | undefined {
  const m = /^\/explore\/([^/]+)\/(\d+)\/(\d+)\/?$/.exec(path)
  if (m === null) return undefined
  return { topic: decodeURIComponent(m[1] ?? ''), partition: m[2] ?? '', offset: m[3] ?? '' }
}

const CUTOUTS = [['science', 'Science'], ['template', 'Template'], ['difference', 'Difference']] as const

/**
 * One alert, as fink-client's explorer tab showed it: the three cutouts, the light curve, the
 * sky around it, and every property. Never a blank page: each part that fails says why.
 */
export async function renderExplorer (address: AlertAddress, known: Item | undefined): Promise<HTMLElement> {
  const base = alertPath(address.topic, address.partition, address.offset)
  let item = known
  if (item === undefined) {
    try {
      item = await getJson<Item>(`${base}?int64=string`)
    } catch (err) {
      const status = err instanceof ApiError ? ` (${err.status}${err.code !== undefined ? ` ${err.code}` : ''})` : ''
      return h('section', { class: 'explorer' }, h('div', { class: 'card error-card', 'data-testid': 'explorer-error' },
        h('h2', {}, 'This alert could not be loaded'), h('p', {}, `${address.topic} / partition ${address.partition} / offset ${address.offset}${status}`),
        h('p', {}, (err as Error).message)))
    }
  }
  if (item.alert === null) {
    return h('section', { class: 'explorer' }, h('div', { class: 'card error-card', 'data-testid': 'explorer-error' },
      h('h2', {}, 'This alert could not be decoded'), h('p', {}, `${item.error?.code ?? ''}: ${item.error?.message ?? ''}`)))
  }
  const alert = item.alert
  const a = summarize(alert)
  const header = h('div', { class: 'card alert-head' },
    h('div', { class: 'title-row' },
      h('h1', { 'data-testid': 'object-id' }, a.id !== '' ? a.id : 'alert'),
      h('span', { class: 'badge survey' }, a.survey),
      a.classification !== undefined ? h('span', { class: 'badge class', 'data-testid': 'classification' }, a.classification) : null,
      h('span', { class: 'head-links small' },
        a.survey === 'ZTF' && a.id !== '' ? h('a', { href: `https://fink-portal.org/${encodeURIComponent(a.id)}`, target: '_blank', rel: 'noopener', title: 'this object in the Fink science portal' }, 'Fink portal') : null,
        h('a', { href: `${base}?int64=string`, target: '_blank', rel: 'noopener', title: 'this alert as the gateway\'s JSON item' }, 'JSON'))),
    h('dl', { class: 'facts' },
      fact('Topic', `${item.topic} · partition ${item.partition} · offset ${item.offset}`),
      fact('Observed (UTC)', formatUtc(a.observedMs)),
      a.ra !== undefined && a.dec !== undefined ? fact('RA, Dec (J2000)', `${a.ra.toFixed(6)}°, ${a.dec.toFixed(6)}° · ${formatRaDec(a.ra, a.dec)}`) : null,
      a.mag !== undefined ? fact('Magnitude', `${a.mag.toFixed(3)}${a.magErr !== undefined ? ` ± ${a.magErr.toFixed(3)}` : ''} (${a.filter ?? '?'})`) : null,
      a.flux !== undefined ? fact('PSF flux', `${a.flux.toFixed(1)}${a.fluxErr !== undefined ? ` ± ${a.fluxErr.toFixed(1)}` : ''} nJy (${a.filter ?? '?'})`) : null,
      idFact(alert)))

  const cutouts = h('div', { class: 'card cutouts' }, h('h2', {}, 'Cutouts', h('span', { class: 'dim small' }, ' · zscale, north up')),
    h('div', { class: 'cutout-row' }, ...CUTOUTS.map(([kind, label]) => cutout(`${base}/cutouts/${kind}.png`, kind, label))))
  const curve = extractLightCurve(alert)
  const lightCurve = h('div', { class: 'card lc-card' },
    h('h2', {}, 'Light curve', h('span', { class: 'dim small' }, curve.kind === 'magnitude'
      ? ` · ${curve.points.filter((p) => !p.upperLimit).length} detections, ${curve.points.filter((p) => p.upperLimit).length} upper limits`
      : ` · ${curve.points.length} difference-image detections`)),
    renderLightCurve(curve))
  const sky = a.ra !== undefined && a.dec !== undefined
    ? h('div', { class: 'card sky-card' }, h('h2', {}, 'Sky', h('span', { class: 'dim small' }, ' · Aladin Lite, Simbad overlay')), renderSkyView(a.ra, a.dec))
    : h('div', { class: 'card sky-card' }, h('h2', {}, 'Sky'), h('p', { class: 'dim' }, 'this alert has no coordinates'))
  const properties = h('div', { class: 'card' }, h('h2', {}, 'Properties'), renderProperties(alert))
  return h('section', { class: 'explorer', 'data-testid': 'explorer' }, header,
    h('div', { class: 'explorer-grid' }, cutouts, sky, lightCurve), properties)
}

function fact (label: string, value: string): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, value))
}

function idFact (alert: Record<string, unknown>): HTMLElement | null {
  if (typeof alert.candid === 'string' || typeof alert.candid === 'number') return fact('candid', String(alert.candid))
  if (typeof alert.diaSourceId === 'string' || typeof alert.diaSourceId === 'number') return fact('diaSourceId', String(alert.diaSourceId))
  return null
}

function cutout (src: string, kind: string, label: string): HTMLElement {
  const message = h('div', { class: 'cutout-message', hidden: true })
  const img = h('img', { alt: `${label} cutout`, 'data-testid': `cutout-${kind}`, 'data-state': 'loading', width: 63, height: 63 })
  img.addEventListener('load', () => { img.dataset.state = 'loaded' })
  const fail = (reason: string): void => {
    img.dataset.state = 'error'
    img.hidden = true
    message.hidden = false
    message.textContent = `${label} cutout unavailable: ${reason}`
  }
  img.addEventListener('error', () => { fail('the image could not be decoded') })
  background(imageUrl(src).then((url) => { img.src = url }, (err: unknown) => { fail((err as Error).message) }))
  return h('figure', { class: 'cutout' }, h('div', { class: 'cutout-frame' }, img, message), h('figcaption', {}, label))
}
