import { test } from 'node:test'
import assert from 'node:assert/strict'
import { extractLightCurve } from '../../src/web/photometry.js'
import { alertsOf } from './real-items.js'

function isNumber (v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

test('ZTF: one point per detection (candidate + prv_candidates with magpsf), upper limits from diffmaglim', async () => {
  for (const file of ['ZTF19acihgng.avro', 'ftransfer-ztf-2026-03-23-part-3.avro', 'avro_multi_alerts.avro']) {
    for (const alert of await alertsOf(file)) {
      const entries = [alert.candidate, ...((alert.prv_candidates ?? []) as unknown[])] as Array<Record<string, unknown>>
      const curve = extractLightCurve(alert)
      assert.equal(curve.kind, 'magnitude')
      const detections = curve.points.filter((p) => !p.upperLimit)
      const limits = curve.points.filter((p) => p.upperLimit)
      assert.equal(detections.length, entries.filter((e) => isNumber(e.magpsf)).length)
      assert.equal(limits.length, entries.filter((e) => !isNumber(e.magpsf) && isNumber(e.diffmaglim)).length)
      const current = curve.points.filter((p) => p.current)
      assert.equal(current.length, 1)
      const c = alert.candidate as Record<string, number>
      assert.equal(current[0]?.mjd, (c.jd ?? 0) - 2400000.5)
      for (const p of curve.points) assert.ok(['g', 'r', 'i'].includes(p.band), p.band)
    }
  }
})

test('LSST: difference flux per diaSource and prvDiaSources, per band', async () => {
  for (const alert of await alertsOf('ftransfer-lsst-2026-03-18-part-2.avro')) {
    const curve = extractLightCurve(alert)
    assert.equal(curve.kind, 'flux')
    const history = (alert.prvDiaSources ?? []) as Array<Record<string, unknown>>
    assert.equal(curve.points.length, 1 + history.filter((d) => isNumber(d.psfFlux)).length)
    const d = alert.diaSource as Record<string, unknown>
    const current = curve.points.find((p) => p.current)
    assert.deepEqual([current?.value, current?.error, current?.band], [d.psfFlux, d.psfFluxErr, d.band])
  }
})

test('an alert without photometry gives an empty curve', () => {
  assert.deepEqual(extractLightCurve({ objectId: 'x' }), { kind: 'magnitude', points: [] })
})
