/**
 * The dashboard in headless Chromium against the real gateway and a real Kafka: real alerts are
 * replayed into topics of this test, streamed through /ws, counted, downloaded and explored.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { tmpdir } from 'node:os'
import type { Download, Page } from 'playwright-core'
import { AlertDecoder, readAvroFile, SchemaCache } from '../../src/avro/index.js'
import { buildApp, uniqueName } from '../helpers/app.js'
import { createTopic, deleteTopic, produce, type TestMessage } from '../helpers/kafka.js'
import { encodeContainer } from '../../src/web/avro-writer.js'
import { launchBrowser } from './browser.js'
import { itemsOf } from './real-items.js'
import { webBuild } from './web-build.js'

const root = join(import.meta.dirname, '..', '..')
const DATA = join(root, 'data', 'alerts')
const SHOTS = join(root, 'test-results', 'screenshots')
const DOCS_SHOTS = join(root, 'docs', 'screenshots')

interface Replayed {
  offset: number
  schemaText: string
  alert: Record<string, any>
}

/** Every alert of the files, produced in order to one partition: offset i is alert i. */
async function replay (topic: string, files: string[]): Promise<Replayed[]> {
  const decoder = new AlertDecoder(new SchemaCache({}))
  const messages: TestMessage[] = []
  const replayed: Replayed[] = []
  for (const file of files) {
    const { schemaText, records } = await readAvroFile(isAbsolute(file) ? file : join(DATA, file))
    for (const value of records) {
      const offset = messages.length
      messages.push({ key: schemaText, value })
      const decoded = await decoder.decode({ topic, partition: 0, offset, timestamp: 0, key: Buffer.from(schemaText), value })
      replayed.push({ offset, schemaText, alert: decoded.alert as Record<string, any> })
    }
  }
  await produce(topic, messages)
  return replayed
}

function finite (v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v)
}

function ztfDetections (alert: Record<string, any>): number {
  const history = (alert.prv_candidates ?? []) as Array<Record<string, unknown>>
  return [alert.candidate, ...history].filter((c) => finite(c?.magpsf)).length
}

function lsstDetections (alert: Record<string, any>): number {
  const history = (alert.prvDiaSources ?? []) as Array<Record<string, unknown>>
  return [alert.diaSource, ...history].filter((d) => finite(d?.psfFlux) || finite(d?.psFlux)).length
}

/** Decoded and varied: drawn to a canvas, its pixels are not all one grey. */
async function cutoutState (page: Page, kind: string): Promise<{ state: string, width: number, levels: number }> {
  const selector = `img[data-testid="cutout-${kind}"]`
  await page.waitForFunction(`(() => { const i = document.querySelector(${JSON.stringify(selector)}); return i !== null && i.dataset.state !== 'loading' })()`, undefined, { timeout: 20000 })
  return await page.evaluate(`(() => {
    const img = document.querySelector(${JSON.stringify(selector)})
    if (img.dataset.state !== 'loaded') return { state: img.dataset.state, width: img.naturalWidth, levels: 0 }
    const canvas = document.createElement('canvas')
    canvas.width = img.naturalWidth
    canvas.height = img.naturalHeight
    const ctx = canvas.getContext('2d')
    ctx.drawImage(img, 0, 0)
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data
    const levels = new Set()
    for (let i = 0; i < data.length; i += 4) levels.add(data[i])
    return { state: img.dataset.state, width: img.naturalWidth, levels: levels.size }
  })()`)
}

/** Saves to test-results/screenshots (git-ignored); UPDATE_SCREENSHOTS=1 also refreshes the README's copies. */
async function shot (page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.screenshot({ path })
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SHOTS, { recursive: true })
    copyFileSync(path, join(DOCS_SHOTS, `${name}.png`))
  }
}

test('stream two replayed topics in the browser, download them, then explore ZTF and LSST alerts', { timeout: 120000 }, async (t) => {
  await webBuild()
  // Two topics, as a user following a ZTF and an LSST stream would.
  const ztfTopic = uniqueName('ftest_dashboard_ztf')
  const lsstTopic = uniqueName('ftest_dashboard_lsst')
  for (const topic of [ztfTopic, lsstTopic]) {
    await createTopic(topic)
    t.after(async () => { await deleteTopic(topic) })
  }
  // A real alert whose science cutout is not FITS: the explorer must say so.
  const dir = mkdtempSync(join(tmpdir(), 'fg-dashboard-'))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  const brokenFile = join(dir, 'broken-cutout.avro')
  const original = await itemsOf(join(DATA, 'ZTF19acihgng.avro'))
  const broken = structuredClone(original.alerts[0]) as Record<string, any>
  broken.cutoutScience.stampData = Buffer.from('SIMPLE  = this is not a FITS image').toString('base64')
  writeFileSync(brokenFile, encodeContainer(original.schemaText, [broken]))
  const replayedZtf = await replay(ztfTopic, ['ftransfer-ztf-2026-03-23-part-3.avro', brokenFile])
  const replayedLsst = await replay(lsstTopic, ['ftransfer-lsst-2026-03-18-part-2.avro', 'elasticc-alert-obj747.avro.gz'])

  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  assert.ok(address !== null && typeof address === 'object')
  const base = `http://127.0.0.1:${address.port}`

  const context = await launchBrowser(t)
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => { pageErrors.push(err.message) })

  await page.goto(`${base}/`)
  // The topics are offered by GET /topics; choose both, start at the beginning, no group.
  await page.check(`input[data-topic="${ztfTopic}"]`, { timeout: 20000 })
  await page.check(`input[data-topic="${lsstTopic}"]`)
  await page.selectOption('[data-testid=start]', 'earliest')
  await page.click('[data-testid=start-stream]')
  for (const [topic, n] of [[ztfTopic, replayedZtf.length], [lsstTopic, replayedLsst.length]] as const) {
    await page.waitForFunction(`document.querySelector('[data-testid=topic-count][data-topic=${JSON.stringify(topic)}]')?.textContent === ${JSON.stringify(String(n))}`, undefined, { timeout: 30000 })
  }
  const total = replayedZtf.length + replayedLsst.length
  await page.waitForFunction(`document.querySelectorAll('[data-testid=alerts-table] tbody tr').length === ${total}`)
  assert.equal(await page.locator('[data-testid=alerts-table] tbody tr').count(), total)
  // The gateway's status frames (every few seconds) report the lag per topic: nothing left.
  for (const topic of [ztfTopic, lsstTopic]) {
    await page.waitForFunction(`document.querySelector('[data-testid=topic-count][data-topic=${JSON.stringify(topic)}]').parentElement.querySelector('.lag').textContent === 'caught up'`, undefined, { timeout: 20000 })
  }
  await page.waitForTimeout(600) // the chart redraws at most twice a second
  await shot(page, 'stream')

  // Downloads of what was collected: JSON lines with exact 64-bit ids, and Avro files (one per
  // writer schema) that read back with as many alerts.
  const [jsonl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-jsonl]')])
  const lines = readFileSync(await jsonl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { topic: string, alert: Record<string, unknown> })
  assert.equal(lines.length, total)
  const candids = lines.filter((l) => l.topic === ztfTopic).map((l) => l.alert.candid).sort()
  assert.deepEqual(candids, replayedZtf.map((r) => String(r.alert.candid)).sort())
  // One file per writer schema. /schemas/{id} need not return the text byte for byte, and two
  // Spark-made schemas share the name topLevelRecord.value: compare (full name, count) pairs.
  const schemaName = (text: string): string => {
    const schema = JSON.parse(text) as { name: string, namespace?: string }
    return schema.namespace !== undefined && !schema.name.includes('.') ? `${schema.namespace}.${schema.name}` : schema.name
  }
  const perSchema = new Map<string, number>()
  for (const r of [...replayedZtf, ...replayedLsst]) perSchema.set(r.schemaText, (perSchema.get(r.schemaText) ?? 0) + 1)
  const expected = [...perSchema].map(([text, n]) => `${schemaName(text)} ${n}`).sort()
  const avroFiles: Download[] = []
  const allFiles = new Promise<void>((resolve) => {
    page.on('download', (d) => { avroFiles.push(d); if (avroFiles.length === perSchema.size) resolve() })
  })
  await page.click('[data-testid=download-avro]')
  await allFiles
  const written = await Promise.all(avroFiles.map(async (d) => await readAvroFile(await d.path())))
  assert.deepEqual(written.map((f) => `${schemaName(f.schemaText)} ${f.records.length}`).sort(), expected)

  // Poll: one /poll with a consumer group of its own gives one more alert.
  await page.fill('[data-testid=group-id]', uniqueName('dashboard_poll'))
  await page.click('[data-testid=poll]')
  await page.waitForFunction('/polled one alert/.test(document.querySelector(\'[data-testid=stream-status]\').textContent)', undefined, { timeout: 30000 })
  const counted = await page.evaluate('[...document.querySelectorAll(\'[data-testid=topic-count]\')].map((e) => Number(e.textContent)).reduce((a, b) => a + b, 0)')
  assert.equal(counted, total + 1)

  // The ZTF alert with the longest history; its 64-bit candid must come through exactly.
  const topic = ztfTopic
  const ztf = replayedZtf.filter((r) => r.alert.candidate !== undefined && r.alert.objectId !== broken.objectId).sort((a, b) => ztfDetections(b.alert) - ztfDetections(a.alert))[0]
  assert.ok(ztf !== undefined)
  await page.click(`a[href="/explore/${topic}/0/${ztf.offset}"]`)
  await page.waitForSelector('[data-testid=explorer]')
  assert.equal(new URL(page.url()).pathname, `/explore/${topic}/0/${ztf.offset}`)
  assert.equal(await page.textContent('[data-testid=object-id]'), ztf.alert.objectId)
  assert.match(await page.textContent('.alert-head') ?? '', new RegExp(String(ztf.alert.candid)))

  for (const kind of ['science', 'template', 'difference']) {
    const cutout = await cutoutState(page, kind)
    assert.equal(cutout.state, 'loaded', kind)
    assert.ok(cutout.width > 0, kind)
    assert.ok(cutout.levels > 20, `${kind}: ${cutout.levels} grey levels`)
  }
  assert.equal(await page.locator('[data-testid=lightcurve] [data-testid=lightcurve-point]').count(), ztfDetections(ztf.alert))
  const limits = [ztf.alert.candidate, ...(ztf.alert.prv_candidates ?? [])].filter((c: any) => !finite(c.magpsf) && finite(c.diffmaglim)).length
  assert.equal(await page.locator('[data-testid=lightcurve] [data-testid=lightcurve-limit]').count(), limits)

  await page.waitForFunction('window.__aladin !== undefined && window.__aladin.created === true', undefined, { timeout: 30000 })
  const centre = await page.evaluate('({ ra: window.__aladin.ra, dec: window.__aladin.dec, attrRa: document.querySelector("[data-testid=aladin]").dataset.ra })') as { ra: number, dec: number, attrRa: string }
  assert.ok(Math.abs(centre.ra - ztf.alert.candidate.ra) < 1e-6, `Aladin RA ${centre.ra}`)
  assert.ok(Math.abs(centre.dec - ztf.alert.candidate.dec) < 1e-6, `Aladin Dec ${centre.dec}`)
  assert.equal(Number(centre.attrRa), centre.ra)
  // Offline the Simbad cone search fails; the view stays and says so.
  await page.waitForFunction('window.__aladin.simbad !== "loading"', undefined, { timeout: 30000 })
  await page.setViewportSize({ width: 1440, height: 1250 })
  await page.waitForTimeout(500)
  await shot(page, 'explorer')

  // An LSST alert: flux light curve with every diaSource, its cutouts (plain FITS) decoded.
  const lsst = replayedLsst.find((r) => r.alert.diaSource !== undefined && (r.alert.prvDiaSources ?? []).length > 0 && r.alert.cutoutScience !== null)
  assert.ok(lsst !== undefined)
  await page.goto(`${base}/explore/${lsstTopic}/0/${lsst.offset}`)
  await page.waitForSelector('[data-testid=explorer]')
  assert.equal(await page.getAttribute('[data-testid=lightcurve]', 'data-kind'), 'flux')
  assert.equal(await page.locator('[data-testid=lightcurve-point]').count(), lsstDetections(lsst.alert))
  assert.equal((await cutoutState(page, 'science')).state, 'loaded')
  await shot(page, 'explorer-lsst')

  // The ELAsTiCC alert has no science cutout: a message, not a blank page.
  const elasticc = replayedLsst.find((r) => r.alert.alertId !== undefined)
  assert.ok(elasticc !== undefined)
  await page.goto(`${base}/explore/${lsstTopic}/0/${elasticc.offset}`)
  await page.waitForSelector('[data-testid=explorer]')
  assert.equal((await cutoutState(page, 'science')).state, 'error')
  assert.match(await page.textContent('.cutout-message:not([hidden])') ?? '', /Science cutout unavailable/)

  // The alert with a corrupt science stamp: the renderer's reason, the other cutouts still drawn.
  const brokenAt = replayedZtf.find((r) => r.alert.objectId === broken.objectId)
  assert.ok(brokenAt !== undefined)
  await page.goto(`${base}/explore/${ztfTopic}/0/${brokenAt.offset}`)
  await page.waitForSelector('[data-testid=explorer]')
  assert.equal((await cutoutState(page, 'science')).state, 'error')
  assert.match(await page.textContent('.cutout-message:not([hidden])') ?? '', /Science cutout unavailable: .*not a readable FITS image/)
  assert.equal((await cutoutState(page, 'template')).state, 'loaded')

  // An offset past the end: the explorer explains instead of staying empty.
  await page.goto(`${base}/explore/${lsstTopic}/0/${replayedLsst.length + 100}`)
  await page.waitForSelector('[data-testid=explorer-error]')

  assert.deepEqual(pageErrors.filter((m) => !/HiPS|Failed to fetch|CDS|does not points|NetworkError/i.test(m)), [])
})

test('a fast stream: every alert counted, the table capped at its newest 100 rows', { timeout: 120000 }, async (t) => {
  const topic = uniqueName('ftest_dashboard_fast')
  await createTopic(topic)
  t.after(async () => { await deleteTopic(topic) })
  const files = Array.from({ length: 5 }, () => 'sample-part-00001.avro')
  const replayed = await replay(topic, files)
  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  assert.ok(address !== null && typeof address === 'object')
  const context = await launchBrowser(t)
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => { pageErrors.push(err.message) })
  await page.goto(`http://127.0.0.1:${address.port}/`)
  // A topic that does not exist: the gateway's reason, not a silent failure.
  const missing = uniqueName('ftest_dashboard_missing')
  await page.fill('[data-testid=extra-topics]', missing)
  await page.click('[data-testid=start-stream]')
  await page.waitForFunction('/cannot stream/.test(document.querySelector(\'[data-testid=stream-status]\').textContent)')
  assert.match(await page.textContent('[data-testid=stream-status]') ?? '', new RegExp(missing))
  assert.equal(await page.locator(`[data-testid=topic-count][data-topic="${missing}"]`).count(), 0)
  await page.fill('[data-testid=extra-topics]', topic)
  await page.selectOption('[data-testid=start]', 'earliest')
  await page.click('[data-testid=start-stream]')
  await page.waitForFunction(`document.querySelector('[data-testid=topic-count][data-topic=${JSON.stringify(topic)}]')?.textContent === ${JSON.stringify(String(replayed.length))}`, undefined, { timeout: 60000 })
  await page.waitForFunction(`document.querySelector('[data-testid=alerts-table] tbody tr:first-child a')?.getAttribute('href')?.endsWith('/${replayed.length - 1}')`)
  assert.equal(await page.locator('[data-testid=alerts-table] tbody tr').count(), 100)
  // Newest first: offsets descend from the last one.
  const hrefs = await page.evaluate('[...document.querySelectorAll(\'[data-testid=alerts-table] tbody tr a.object-link\')].map((a) => a.getAttribute(\'href\'))') as string[]
  assert.deepEqual(hrefs.map((h) => Number(h.split('/').pop())), Array.from({ length: 100 }, (_, i) => replayed.length - 1 - i))
  await page.click('[data-testid=start-stream]')
  await page.waitForFunction('/stopped/.test(document.querySelector(\'[data-testid=stream-status]\').textContent)')
  assert.equal(await page.textContent('[data-testid=start-stream]'), 'Start')
  assert.deepEqual(pageErrors, [])
})
