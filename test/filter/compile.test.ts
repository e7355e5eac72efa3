import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { compileFilter } from '../../src/filter/compile.js'
import { compileReader, parseSchema, readAvroFile } from '../../src/avro/index.js'
import { FilterSyntaxError } from '../../src/filter/filter-error.js'
import { angularSeparationArcsec } from '../../src/filter/sky.js'
import { integer, pick, seededRandom } from './random.js'
import { FINK_ALERTS_DIR, LSST_2026, ZTF_2026, realAlerts, record, type Alert } from './real-alerts.js'

function matches (source: string, alert: unknown): boolean {
  return compileFilter(source)(alert)
}

test('the example from the docs, on a synthetic alert', () => {
  const filter = compileFilter('candidate.magpsf < 18 and candidate.drb > 0.9 and cone(193.82, 2.89, 60)')
  const alert = (magpsf: number, drb: number, ra: number, dec: number): Alert => ({ candidate: { magpsf, drb, ra, dec } })
  assert.equal(filter(alert(17.5, 0.95, 193.82, 2.89)), true)
  assert.equal(filter(alert(18.5, 0.95, 193.82, 2.89)), false)
  assert.equal(filter(alert(17.5, 0.85, 193.82, 2.89)), false)
  assert.equal(filter(alert(17.5, 0.95, 193.82, 2.89 + 61 / 3600)), false)
  assert.equal(filter(alert(17.5, 0.95, 193.82, 2.89 + 59 / 3600)), true)
})

test('every comparison operator, both operand orders', () => {
  const alert = { x: 5, s: 'm' }
  const cases: Array<[string, boolean]> = [
    ['x < 6', true], ['x < 5', false], ['x <= 5', true], ['x <= 4.999', false], ['x > 4', true], ['x > 5', false],
    ['x >= 5', true], ['x >= 5.001', false], ['x == 5', true], ['x == 5.0', true], ['x == 6', false],
    ['x != 6', true], ['x != 5', false], ['6 > x', true], ['5 < x', false], ['5e0 == x', true],
    ["s < 'n'", true], ["s > 'n'", false], ["s == 'm'", true], ['s == "m"', true], ["s != 'm'", false],
    ["s >= 'm'", true], ["'a' < s", true], ['x == s', false], ['x != s', true], ['x < s', false]
  ]
  for (const [source, expected] of cases) assert.equal(matches(source, alert), expected, source)
})

test('and, or, not truth tables and precedence when evaluated', () => {
  const bool = (v: boolean): string => `t == ${v ? 1 : 0}`
  for (const a of [false, true]) {
    for (const b of [false, true]) {
      for (const c of [false, true]) {
        const alert = { t: 1 }
        const A = bool(a); const B = bool(b); const C = bool(c)
        assert.equal(matches(`${A} and ${B}`, alert), a && b)
        assert.equal(matches(`${A} or ${B}`, alert), a || b)
        assert.equal(matches(`not ${A}`, alert), !a)
        assert.equal(matches(`${A} or ${B} and ${C}`, alert), a || (b && c))
        assert.equal(matches(`(${A} or ${B}) and ${C}`, alert), (a || b) && c)
        assert.equal(matches(`not ${A} and ${B}`, alert), !a && b)
        assert.equal(matches(`not (${A} and ${B})`, alert), !(a && b))
      }
    }
  }
})

type Tree = { kind: 'atom', index: number } | { kind: 'not', operand: Tree } | { kind: 'and' | 'or', left: Tree, right: Tree }

const LEVEL = { or: 1, and: 2, not: 3, atom: 4 } as const

/** Renders a tree with parentheses only where precedence needs them (or at random). */
function render (tree: Tree, random: () => number, parentLevel = 0, rightSide = false): string {
  let text: string
  if (tree.kind === 'atom') text = `v${tree.index} == 1`
  else if (tree.kind === 'not') text = `not ${render(tree.operand, random, LEVEL.not)}`
  else text = `${render(tree.left, random, LEVEL[tree.kind])} ${tree.kind} ${render(tree.right, random, LEVEL[tree.kind], true)}`
  const level = LEVEL[tree.kind]
  const needed = level < parentLevel || (rightSide && level === parentLevel)
  return needed || (tree.kind !== 'atom' && random() < 0.1) ? `(${text})` : text
}

function evaluate (tree: Tree, values: readonly boolean[]): boolean {
  switch (tree.kind) {
    case 'atom': return values[tree.index] as boolean
    case 'not': return !evaluate(tree.operand, values)
    case 'and': return evaluate(tree.left, values) && evaluate(tree.right, values)
    case 'or': return evaluate(tree.left, values) || evaluate(tree.right, values)
  }
}

function randomTree (random: () => number, depth: number): Tree {
  const roll = random()
  if (depth <= 0 || roll < 0.3) return { kind: 'atom', index: integer(random, 0, 3) }
  if (roll < 0.45) return { kind: 'not', operand: randomTree(random, depth - 1) }
  return { kind: roll < 0.72 ? 'and' : 'or', left: randomTree(random, depth - 1), right: randomTree(random, depth - 1) }
}

test('property: random boolean trees printed with minimal parentheses evaluate like the tree (seeded)', () => {
  const random = seededRandom(42)
  for (let i = 0; i < 400; i++) {
    const tree = randomTree(random, 5)
    const source = render(tree, random)
    const filter = compileFilter(source)
    for (let mask = 0; mask < 16; mask++) {
      const values = [0, 1, 2, 3].map((bit) => ((mask >> bit) & 1) === 1)
      const alert = Object.fromEntries(values.map((v, k) => [`v${k}`, v ? 1 : 0]))
      assert.equal(filter(alert), evaluate(tree, values), `${source} with ${JSON.stringify(alert)}`)
    }
  }
})

test('bigint ids compare exactly, on real ZTF alerts', () => {
  const alerts = realAlerts(ZTF_2026)
  const candids = alerts.map((a) => a.candid as bigint)
  assert.ok(candids.every((c) => typeof c === 'bigint' && c > 2n ** 53n), 'the file holds 64-bit candids')
  for (const candid of candids) {
    const exact = compileFilter(`candid == ${candid}`)
    assert.deepEqual(alerts.filter(exact).map((a) => a.candid), [candid])
    // One more or one less rounds to the same double, yet must not match.
    assert.equal(alerts.filter(compileFilter(`candid == ${candid + 1n}`)).filter((a) => a.candid === candid).length, 0)
    assert.equal(Number(candid + 1n) === Number(candid) || Number(candid - 1n) === Number(candid), true)
    assert.equal(alerts.filter(compileFilter(`candid > ${candid - 1n} and candid < ${candid + 1n}`)).length, 1)
    assert.equal(alerts.filter(compileFilter(`candidate.candid >= ${candid} and candidate.candid <= ${candid}`)).length, 1)
  }
  const some = candids.slice(0, 5)
  assert.deepEqual(alerts.filter(compileFilter(`candid in (${some.join(', ')})`)).map((a) => a.candid), some)
  assert.equal(alerts.filter(compileFilter(`candid not in (${some.join(', ')})`)).length, alerts.length - some.length)
})

test('numeric and string filters on real ZTF alerts select what a direct check selects', () => {
  const alerts = realAlerts(ZTF_2026)
  const candidate = (a: Alert): Alert => record(a.candidate)
  const select = (source: string): unknown[] => alerts.filter(compileFilter(source)).map((a) => a.candid)
  const direct = (keep: (a: Alert) => boolean): unknown[] => alerts.filter(keep).map((a) => a.candid)
  const bright = direct((a) => (candidate(a).magpsf as number) < 18)
  assert.ok(bright.length > 0 && bright.length < alerts.length, 'the threshold splits the file')
  assert.deepEqual(select('candidate.magpsf < 18'), bright)
  assert.deepEqual(select('not candidate.magpsf < 18'), direct((a) => !((candidate(a).magpsf as number) < 18)))
  assert.deepEqual(select('candidate.magpsf < 18 and candidate.drb > 0.99'),
    direct((a) => (candidate(a).magpsf as number) < 18 && (candidate(a).drb as number) > 0.99))
  assert.deepEqual(select('candidate.fid == 1 or candidate.fid in (3)'), direct((a) => Number(candidate(a).fid) === 1 || Number(candidate(a).fid) === 3))
  const objectId = alerts[3]?.objectId as string
  assert.deepEqual(select(`objectId == '${objectId}'`), direct((a) => a.objectId === objectId))
  assert.deepEqual(select('objectId > \'ZTF26\''), direct((a) => (a.objectId as string) > 'ZTF26'))
  assert.deepEqual(select("candidate.isdiffpos in ('t', '1')"), direct((a) => ['t', '1'].includes(candidate(a).isdiffpos as string)))
})

test('null fields of real alerts (NaN in the Avro, e.g. Plx): is null, is not null, comparisons stay false', () => {
  const alerts = realAlerts(ZTF_2026)
  const field = Object.keys(record(alerts[0])).find((name) => {
    const nulls = alerts.filter((a) => a[name] === null).length
    return nulls > 0 && nulls < alerts.length && alerts.some((a) => typeof a[name] === 'number')
  })
  assert.ok(field !== undefined, 'a numeric field that is sometimes null')
  const isNull = alerts.filter((a) => a[field] === null)
  assert.deepEqual(alerts.filter(compileFilter(`${field} is null`)), isNull)
  assert.deepEqual(alerts.filter(compileFilter(`${field} == null`)), isNull)
  assert.equal(alerts.filter(compileFilter(`${field} is not null`)).length, alerts.length - isNull.length)
  const anyValue = compileFilter(`${field} < 0 or ${field} >= 0 or ${field} != 0`)
  assert.equal(alerts.filter(anyValue).length, alerts.length - isNull.length, 'a null field matches no comparison')
  // The same alerts with NaN where the item shows null, as avsc decodes them.
  const withNaN = alerts.map((a) => ({ ...a, [field]: a[field] === null ? NaN : a[field] }))
  assert.equal(withNaN.filter(compileFilter(`${field} is null`)).length, isNull.length)
  assert.equal(withNaN.filter(anyValue).length, alerts.length - isNull.length)
})

test('NaN and missing fields are null: comparisons false, is null true', () => {
  for (const alert of [{ x: NaN }, { x: null }, {}, { x: Infinity }, { x: undefined }, { y: { x: 1 } }]) {
    for (const source of ['x < 1', 'x > 1', 'x == 1', 'x != 1', 'x <= 1e308', 'x >= -1e308', 'x in (1, 2)', 'x not in (1, 2)', 'x is not null']) {
      assert.equal(matches(source, alert), false, `${source} on ${String(alert.x)}`)
    }
    for (const source of ['x is null', 'x == null', 'not x == 1', 'not x != 1', 'x in (1, null)']) {
      assert.equal(matches(source, alert), true, `${source} on ${String(alert.x)}`)
    }
  }
  assert.equal(matches('a.b.c is null', { a: { b: 5 } }), true)
  assert.equal(matches('a.b.c is null', { a: null }), true)
  assert.equal(matches('a.b.c == 5', { a: { b: { c: 5n } } }), true)
  assert.equal(matches('x is null', 'not an object'), true)
  assert.equal(matches('x is null', null), true)
})

test('fields never reach the prototype chain', () => {
  for (const source of ['constructor is not null', '__proto__ is not null', 'toString is not null', 'x.constructor.name == \'Object\'', 'hasOwnProperty is not null']) {
    assert.equal(matches(source, { x: {} }), false, source)
  }
  assert.equal(matches('constructor == 1', { constructor: 1 }), true, 'an own field of that name is fine')
  assert.equal(matches('v == 1', Object.create({ v: 1 })), false)
})

test('cone: real ZTF and LSST alerts are found at their own position and not beyond the radius', () => {
  for (const [file, holder, decField] of [[ZTF_2026, 'candidate', 'dec'], [LSST_2026, 'diaSource', 'dec']] as const) {
    const alerts = realAlerts(file)
    for (const [i, alert] of alerts.entries()) {
      const position = record(alert[holder])
      const ra = position.ra as number
      const dec = position[decField] as number
      const inside = compileFilter(`cone(${ra}, ${dec}, 1)`)
      assert.equal(inside(alert), true, `${file} #${i}`)
      const step = dec > 0 ? -1 : 1
      assert.equal(matches(`cone(${ra}, ${dec + step * 59 / 3600}, 60)`, alert), true, `${file} #${i} at 59"`)
      assert.equal(matches(`cone(${ra}, ${dec + step * 61 / 3600}, 60)`, alert), false, `${file} #${i} at 61"`)
      // Every alert of the file matches a cone centred on this one exactly when it is within the radius.
      const radius = 3600 * 30
      const expected = alerts.filter((other) => {
        const p = record(other[holder])
        return angularSeparationArcsec(ra, dec, p.ra as number, p[decField] as number) <= radius
      })
      assert.deepEqual(alerts.filter(compileFilter(`cone(${ra}, ${dec}, ${radius})`)), expected)
    }
  }
})

test('cone is false for alerts without a position and composes with not', () => {
  assert.equal(matches('cone(10, 10, 60)', { candidate: { magpsf: 18 } }), false)
  assert.equal(matches('not cone(10, 10, 60)', { candidate: { magpsf: 18 } }), true)
  assert.equal(matches('cone(10, 10, 60)', { ra: 10, dec: 10 }), true)
  assert.equal(matches('cone(359.999, 0, 10)', { ra: 0.001, dec: 0 }), true, 'across RA 0')
  assert.equal(matches('cone(0, 90, 10)', { ra: 200, dec: 89.999 }), true, 'at the pole')
})

test('on LSST alerts: diaSource fields, exact diaSourceId', () => {
  const alerts = realAlerts(LSST_2026)
  const positive = alerts.filter((a) => (record(a.diaSource).psfFlux as number) > 0)
  assert.deepEqual(alerts.filter(compileFilter('diaSource.psfFlux > 0')), positive)
  const id = alerts[2]?.diaSourceId as bigint
  assert.equal(typeof id, 'bigint')
  assert.deepEqual(alerts.filter(compileFilter(`diaSourceId == ${id}`)), [alerts[2]])
  assert.deepEqual(alerts.filter(compileFilter(`diaSource.diaSourceId == ${id}`)), [alerts[2]])
})

test('alerts decoded from the real Avro files (NaN, bigint, Buffer) select the same as their reference JSON', async () => {
  const filters = [
    'candidate.magpsf < 18 and candidate.drb > 0.9', 'Plx is null', 'Plx is not null and Plx > 0', 'not Plx > 0',
    'candidate.candid > 3367400000000000000', `candid == ${String(realAlerts(ZTF_2026)[4]?.candid)}`,
    'cone(267.0006792, -5.8633869, 36000)', "objectId in ('ZTF26aamcbly', 'ZTF26aaklfaa') or candidate.fid == 1",
    'cutoutScience is not null', 'prv_candidates is not null'
  ]
  for (const [folder, file, expected] of [['ztf', 'ftransfer-ztf-2026-03-23-part-3.avro', ZTF_2026], ['lsst', 'ftransfer-lsst-2026-03-18-part-2.avro', LSST_2026]]) {
    const avro = await readAvroFile(join(FINK_ALERTS_DIR, folder as string, file as string))
    const reader = compileReader(parseSchema(JSON.parse(avro.schemaText)))
    const decoded = avro.records.map((body) => reader.decode(body))
    const reference = realAlerts(expected as string)
    assert.equal(decoded.length, reference.length)
    const lsstFilters = ['diaSource.psfFlux > 0', 'diaSource.psfFlux is null', `diaSourceId == ${String(reference[1]?.diaSourceId)}`, 'cone(63.35, -47.18, 3600)', 'diaObject.nDiaSources >= 2']
    for (const source of folder === 'ztf' ? filters : lsstFilters) {
      const filter = compileFilter(source)
      const selected = (alerts: unknown[]): number[] => alerts.flatMap((a, i) => filter(a) ? [i] : [])
      const fromAvro = selected(decoded)
      assert.deepEqual(fromAvro, selected(reference), `${file}: ${source}`)
      assert.ok(source.includes('is null') || source.includes('not ') || fromAvro.length > 0, `${file}: ${source} selects something`)
    }
  }
})

const PIECES = ['a', 'b.c', 'candidate.magpsf', '18', '-1.5e3', '1234567890123456789', "'x'", '"y"', 'true', 'false', 'null',
  '<', '<=', '>', '>=', '==', '!=', '=', '!', 'and', 'or', 'not', 'in', 'is', 'cone', '(', ')', ',', '.', "'", '"', '\\',
  '&&', '||', '1e999', '.5', 'é', '\u0000', ' ', ' ', ' ']

function randomAlert (random: () => number): unknown {
  const value = (): unknown => pick(random, [1, -1.5, 18, NaN, null, undefined, 'x', 'y', true, false, 1234567890123456789n, 2n ** 70n, Buffer.from('x'), [1], {}])
  return pick(random, [
    null, 7, 'text',
    { a: value(), b: { c: value() }, candidate: { magpsf: value(), ra: value(), dec: value() }, ra: value(), dec: value() }
  ])
}

test('property: random token soups and mutated filters compile or throw FilterSyntaxError, and predicates return booleans (seeded)', () => {
  const random = seededRandom(1234)
  const valid = ['candidate.magpsf < 18 and candidate.drb > 0.9 and cone(193.82, 2.89, 60)', "a in (1, 'x', null) or not b.c is not null", '(a == 1 or b.c != -2) and not (a >= 1234567890123456789)']
  let compiled = 0
  let rejected = 0
  for (let i = 0; i < 4000; i++) {
    let source: string
    if (i % 2 === 0) {
      source = Array.from({ length: integer(random, 0, 14) }, () => pick(random, PIECES)).join(pick(random, [' ', '']))
    } else {
      const chars = [...pick(random, valid)]
      for (let m = integer(random, 1, 4); m > 0; m--) {
        const at = integer(random, 0, chars.length)
        const roll = random()
        if (roll < 0.4) chars.splice(at, 1)
        else if (roll < 0.8) chars.splice(at, 0, String.fromCharCode(integer(random, 0, 127)))
        else chars.splice(at, 0, pick(random, PIECES))
      }
      source = chars.join('')
    }
    try {
      const filter = compileFilter(source)
      compiled++
      for (let k = 0; k < 5; k++) assert.equal(typeof filter(randomAlert(random)), 'boolean', source)
    } catch (err) {
      assert.ok(err instanceof FilterSyntaxError, `${JSON.stringify(source)} threw ${String(err)}`)
      assert.ok(Number.isInteger(err.position) && err.position >= 0 && err.position <= source.length, `${JSON.stringify(source)}: position ${err.position}`)
      assert.equal(err.code, 'FG_BAD_FILTER')
      rejected++
    }
  }
  assert.ok(compiled > 100 && rejected > 100, `both outcomes are exercised: ${compiled} compiled, ${rejected} rejected`)
})

test('property: long and deeply nested garbage is rejected by the bounds, quickly', () => {
  const random = seededRandom(99)
  for (let i = 0; i < 200; i++) {
    const length = integer(random, 1900, 2100)
    const source = Array.from({ length }, () => pick(random, ['(', 'not ', 'a == 1', ' and ', ' or ', ')', "'", '1', ','])).join('').slice(0, length)
    try {
      compileFilter(source)
    } catch (err) {
      assert.ok(err instanceof FilterSyntaxError, String(err))
    }
  }
  assert.throws(() => compileFilter('('.repeat(100000)), FilterSyntaxError)
  assert.throws(() => compileFilter('not '.repeat(400)), { position: 128 })
})
