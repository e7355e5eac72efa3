import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alertPosition, angularSeparationArcsec } from '../../src/filter/sky.js'
import { seededRandom } from './random.js'
import { ELASTICC, LSST_2026, ZTF_2026, ZTF_SAMPLE, realAlerts, record } from './real-alerts.js'

/** Haversine, an independent formula, accurate away from antipodes. */
function haversineArcsec (ra1: number, dec1: number, ra2: number, dec2: number): number {
  const r = Math.PI / 180
  const h = Math.sin((dec2 - dec1) * r / 2) ** 2 + Math.cos(dec1 * r) * Math.cos(dec2 * r) * Math.sin((ra2 - ra1) * r / 2) ** 2
  return 2 * Math.asin(Math.min(1, Math.sqrt(h))) / r * 3600
}

function near (actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`)
}

test('known separations: equator, meridian, poles, antipodes, RA wrap-around', () => {
  const cases: Array<[number, number, number, number, number]> = [
    [10, 20, 10, 20, 0],
    [0, 0, 1, 0, 3600],
    [100, 0, 100, 1, 3600],
    [0, 90, 180, 89, 3600],
    [0, -90, 123, -89.5, 1800],
    [0, 0, 180, 0, 648000],
    [45, 30, 225, -30, 648000],
    [359.99, 0, 0.01, 0, 72],
    [0, 0, 90, 0, 324000],
    [0, 60, 180, 60, 216000], // across the pole: 30° + 30°
    [193.82, 2.89, 193.82, 2.89 + 60 / 3600, 60]
  ]
  for (const [ra1, dec1, ra2, dec2, expected] of cases) {
    near(angularSeparationArcsec(ra1, dec1, ra2, dec2), expected, 1e-6, `${ra1},${dec1} ${ra2},${dec2}`)
  }
})

test('accurate for tiny separations (milliarcseconds)', () => {
  near(angularSeparationArcsec(150, 2, 150, 2 + 0.001 / 3600), 0.001, 1e-9, 'dec offset')
  // On a circle of declination 60°, RA degrees shrink by cos(60°) = 1/2.
  near(angularSeparationArcsec(150, 60, 150 + 0.002 / 3600, 60), 0.001, 1e-9, 'ra offset')
})

test('property: agrees with haversine, is symmetric and non-negative (seeded)', () => {
  const random = seededRandom(7)
  for (let i = 0; i < 2000; i++) {
    const ra1 = random() * 360
    const dec1 = random() * 180 - 90
    const ra2 = random() * 360
    const dec2 = random() * 180 - 90
    const d = angularSeparationArcsec(ra1, dec1, ra2, dec2)
    assert.ok(d >= 0 && d <= 648000)
    near(d, angularSeparationArcsec(ra2, dec2, ra1, dec1), 1e-6, 'symmetry')
    if (d < 600000) near(d, haversineArcsec(ra1, dec1, ra2, dec2), 1e-4, `${ra1},${dec1} ${ra2},${dec2}`)
  }
})

test('separations between real ZTF alerts agree with haversine', () => {
  const positions = realAlerts(ZTF_SAMPLE).map((a) => alertPosition(a)).filter((p) => p !== undefined)
  assert.ok(positions.length > 10)
  for (let i = 1; i < positions.length; i++) {
    const a = positions[i - 1] as { ra: number, dec: number }
    const b = positions[i] as { ra: number, dec: number }
    near(angularSeparationArcsec(a.ra, a.dec, b.ra, b.dec), haversineArcsec(a.ra, a.dec, b.ra, b.dec), 1e-4, `alerts ${i - 1}, ${i}`)
  }
})

test('the position of ZTF, LSST and ELAsTiCC alerts, and of top-level ra/dec', () => {
  const ztf = record(realAlerts(ZTF_2026)[0])
  const candidate = record(ztf.candidate)
  assert.deepEqual(alertPosition(ztf), { ra: candidate.ra, dec: candidate.dec })
  const lsst = record(realAlerts(LSST_2026)[0])
  const dia = record(lsst.diaSource)
  assert.deepEqual(alertPosition(lsst), { ra: dia.ra, dec: dia.dec })
  const elasticc = record(realAlerts(ELASTICC)[0])
  const eDia = record(elasticc.diaSource)
  assert.deepEqual(alertPosition(elasticc), { ra: eDia.ra, dec: eDia.decl })
  assert.deepEqual(alertPosition({ ra: 10, dec: -5 }), { ra: 10, dec: -5 })
  assert.deepEqual(alertPosition({ ra: 10n, dec: -5 }), { ra: 10, dec: -5 })
})

test('no position when fields are missing, null, NaN or not numbers', () => {
  for (const alert of [
    null, undefined, 42, 'ra', {}, { candidate: null }, { candidate: { ra: 1 } }, { candidate: { ra: NaN, dec: 1 } },
    { diaSource: { ra: 1, dec: null } }, { ra: '1', dec: '2' }, { ra: 1, dec: Infinity },
    Object.create({ ra: 1, dec: 2 }) // inherited fields are not the alert's
  ]) {
    assert.equal(alertPosition(alert), undefined, JSON.stringify(alert))
  }
  // A candidate without a position falls through to the next place that has one.
  assert.deepEqual(alertPosition({ candidate: { ra: null, dec: null }, ra: 3, dec: 4 }), { ra: 3, dec: 4 })
})
