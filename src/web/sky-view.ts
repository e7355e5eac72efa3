import type { AladinInstance } from 'aladin-lite'
import { background, h } from './dom.js'

declare global {
  interface Window {
    /** For tests and curious astronomers: the sky view's state. */
    __aladin?: { ra: number, dec: number, created: boolean, simbad: 'loading' | 'loaded' | 'failed', instance?: unknown }
  }
}

/**
 * An Aladin Lite view centred on the alert with the Simbad catalogue overlaid. Aladin is bundled
 * (no CDN) and loaded only when an alert is opened; only the survey tiles and the Simbad cone
 * search come from outside, and their failure (offline) leaves a working, empty view.
 */
export function renderSkyView (ra: number, dec: number): HTMLElement {
  const tiles = h('span', {})
  const catalogue = h('span', {}, 'loading Aladin Lite…')
  const note = h('div', { class: 'sky-note dim small' }, tiles, catalogue)
  const view = h('div', { class: 'aladin', 'data-testid': 'aladin', 'data-state': 'loading' })
  const container = h('div', { class: 'sky' }, view, note)
  window.__aladin = { ra, dec, created: false, simbad: 'loading' }
  background(create(view, note, tiles, catalogue, ra, dec))
  return container
}

async function create (view: HTMLElement, note: HTMLElement, tiles: HTMLElement, catalogue: HTMLElement, ra: number, dec: number): Promise<void> {
  try {
    const { default: A } = await import('aladin-lite')
    await A.init
    const holder: { aladin?: AladinInstance } = {}
    // Given by URL, so no name look-up at CDS is needed. Pan-STARRS covers the ZTF sky north of
    // −30°; DSS everywhere else.
    const surveyUrl = dec > -30 ? 'https://alasky.cds.unistra.fr/Pan-STARRS/DR1/color-z-zg-g' : 'https://alasky.cds.unistra.fr/DSS/DSSColor'
    const survey = A.imageHiPS(surveyUrl, {
      errorCallback: () => {
        // Aladin re-adds its default survey forever while the view is empty (offline): one
        // failure is enough, the view stays usable with the alert and catalogue marks.
        const inner = holder.aladin as unknown as { view?: { empty?: boolean } } | undefined
        if (inner?.view !== undefined) inner.view.empty = false
        tiles.textContent = 'Sky survey tiles unavailable (no connection to CDS?). '
      }
    })
    const aladin = A.aladin(view, {
      target: `${ra} ${dec}`,
      fov: 0.025,
      cooFrame: 'ICRS',
      survey,
      hipsList: [],
      // No start-up ping to CDS with the alert's coordinates.
      log: false,
      showFullscreenControl: true,
      showLayersControl: false,
      showCooGridControl: true,
      showSimbadPointerControl: true,
      showShareControl: false,
      showFrame: true,
      showCooLocation: true
    })
    holder.aladin = aladin
    const [cra, cdec] = aladin.getRaDec()
    view.dataset.state = 'created'
    view.dataset.ra = String(cra)
    view.dataset.dec = String(cdec)
    window.__aladin = { ra: cra, dec: cdec, created: true, simbad: 'loading', instance: aladin }
    const marker = A.catalog({ name: 'this alert', shape: 'circle', sourceSize: 18, color: '#4cc38a' })
    aladin.addCatalog(marker)
    marker.addSources([A.source(ra, dec, { name: 'alert position' })])
    catalogue.textContent = 'Simbad: loading…'
    A.catalogFromSimbad({ ra, dec }, 0.02, { onClick: 'showPopup', name: 'Simbad', color: '#f0a35a', shape: 'square', sourceSize: 12 },
      (catalog) => {
        aladin.addCatalog(catalog)
        if (window.__aladin !== undefined) window.__aladin.simbad = 'loaded'
        catalogue.textContent = 'Simbad objects within 72″ shown as orange squares; the alert as a green circle.'
      },
      () => {
        if (window.__aladin !== undefined) window.__aladin.simbad = 'failed'
        catalogue.textContent = 'Simbad catalogue unavailable (no connection to CDS?): the green circle marks the alert.'
      })
  } catch (err) {
    view.dataset.state = 'failed'
    note.textContent = `The sky view could not start: ${String((err as Error).message ?? err)}`
    note.classList.add('error-text')
  }
}
