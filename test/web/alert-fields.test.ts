import { test } from 'node:test'
import assert from 'node:assert/strict'
import { classificationOf, fluxToMag, formatRaDec, formatUtc, jdToMs, mjdToMs, summarize } from '../../src/web/alert-fields.js'
import { alertsOf } from './real-items.js'

test('ZTF alerts: objectId, candidate time, magnitude, filter, coordinates, Fink class', async () => {
  const alerts = await alertsOf('ftransfer-ztf-2026-03-23-part-3.avro')
  for (const alert of alerts) {
    const c = alert.candidate as Record<string, number>
    const s = summarize(alert)
    assert.equal(s.survey, 'ZTF')
    assert.equal(s.id, alert.objectId)
    assert.equal(s.mag, c.magpsf)
    assert.equal(s.filter, ({ 1: 'g', 2: 'r', 3: 'i' } as Record<number, string>)[c.fid ?? 0])
    assert.equal(s.ra, c.ra)
    assert.equal(s.observedMs, jdToMs(c.jd ?? 0))
    assert.equal(s.classification, alert.finkclass === 'Unknown' ? classificationOf(alert) : alert.finkclass)
  }
  const sample = await alertsOf('sample-part-00001.avro')
  // Older Fink alerts have no finkclass: the SIMBAD cross-match names them.
  const named = sample.find((a) => a.cdsxmatch !== 'Unknown')
  assert.ok(named !== undefined)
  assert.equal(summarize(named).classification, named.cdsxmatch)
})

test('LSST alerts: diaObjectId (exact, as a string), flux and its AB magnitude, band; Solar System sources by designation', async () => {
  const alerts = await alertsOf('ftransfer-lsst-2026-03-18-part-2.avro')
  let solarSystem = 0
  for (const alert of alerts) {
    const d = alert.diaSource as Record<string, unknown>
    const s = summarize(alert)
    assert.equal(s.survey, 'LSST')
    assert.equal(s.filter, d.band)
    assert.equal(s.flux, d.psfFlux)
    if (d.diaObjectId === '0') {
      solarSystem++
      assert.equal(s.id, (alert.ssSource as Record<string, unknown>).designation)
    } else {
      assert.equal(s.id, d.diaObjectId)
      assert.ok(BigInt(s.id) > BigInt(Number.MAX_SAFE_INTEGER))
    }
    const flux = d.psfFlux as number
    if (flux > 0) assert.equal(s.mag, 31.4 - 2.5 * Math.log10(flux))
    else assert.equal(s.mag, undefined)
    assert.equal(s.observedMs, mjdToMs(d.midpointMjdTai as number))
  }
  assert.ok(solarSystem > 0)
})

test('an ELAsTiCC alert (older Rubin schema field names)', async () => {
  const [alert] = await alertsOf('elasticc-alert-obj747.avro.gz')
  assert.ok(alert !== undefined)
  const s = summarize(alert)
  assert.deepEqual([s.survey, s.id, s.filter, s.ra, s.dec], ['LSST', '747', 'Y', 49.042969, -41.0145])
})

test('time and coordinate formats', () => {
  assert.equal(formatUtc(jdToMs(2451545.0)), '2000-01-01 12:00:00')
  assert.equal(formatUtc(mjdToMs(51544.5)), '2000-01-01 12:00:00')
  assert.equal(formatUtc(undefined), '—')
  assert.equal(formatRaDec(197.778487, 6.127379), '13:11:06.84 +06:07:38.6')
  assert.equal(formatRaDec(63.349628, -47.180758), '04:13:23.91 −47:10:50.7')
  assert.equal(fluxToMag(3631e9), 31.4 - 2.5 * Math.log10(3631e9))
  assert.ok(Math.abs(fluxToMag(3631e9)) < 0.001)
})
