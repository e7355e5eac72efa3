import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareNumeric, compareValues, isIn, isNullish } from '../../src/filter/compare.js'
import { integer, pick, seededRandom } from './random.js'

/** The exact value of a double as a fraction num/den, read from its IEEE 754 bits. */
function exactFraction (x: number): { num: bigint, den: bigint } {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const negative = (bits >> 63n) === 1n
  const exponent = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & ((1n << 52n) - 1n)
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n)
  const power = (exponent === 0 ? 1 : exponent) - 1075
  const num = power >= 0 ? mantissa << BigInt(power) : mantissa
  const den = power >= 0 ? 1n : 1n << BigInt(-power)
  return { num: negative ? -num : num, den }
}

function referenceSign (x: number, b: bigint): number {
  const { num, den } = exactFraction(x)
  const scaled = b * den
  return num < scaled ? -1 : num > scaled ? 1 : 0
}

test('number against bigint compares exactly where a conversion would round', () => {
  const cases: Array<[number | bigint, number | bigint, number]> = [
    [2 ** 53, 2n ** 53n + 1n, -1], // Number(2^53 + 1) === 2^53
    [2n ** 53n + 1n, 2 ** 53, 1],
    [9007199254740992, 9007199254740992n, 0],
    [1e20, 100000000000000000000n, 0],
    [1e20, 100000000000000000001n, -1],
    [0.5, 0n, 1], [-0.5, 0n, -1], [-0.5, -1n, 1], [-1.5, -1n, -1], [-1.5, -2n, 1],
    [-0, 0n, 0], [3, 3n, 0], [3.0000000000000004, 3n, 1],
    [1234567890123456789n, 1234567890123456788n, 1], [1234567890123456789n, 1234567890123456789n, 0],
    [1.5, 2.5, -1], [2, 2, 0], [Number.MAX_VALUE, 10n ** 308n, 1], [-Number.MAX_VALUE, -(10n ** 309n), 1]
  ]
  for (const [a, b, sign] of cases) {
    assert.equal(Math.sign(compareNumeric(a, b)), sign, `${String(a)} vs ${String(b)}`)
    assert.equal(Math.sign(compareNumeric(b, a)), 0 - sign, `${String(b)} vs ${String(a)}`)
  }
})

test('property: number against bigint agrees with exact fractions (seeded)', () => {
  const random = seededRandom(20261126)
  for (let i = 0; i < 5000; i++) {
    const b = BigInt(integer(random, -1e6, 1e6)) * BigInt(pick(random, [1, 1000, 2 ** 30, 2 ** 52])) + BigInt(integer(random, -3, 3))
    const nearby = Number(b) + pick(random, [0, 0.5, -0.5, 1, -1, 1e-9, 2 ** 20, 0.25])
    const x = pick(random, [nearby, random() * 1e19 - 5e18, Number(b), (random() - 0.5) * 10])
    assert.equal(Math.sign(compareNumeric(x, b)), referenceSign(x, b), `${x} vs ${b}`)
  }
})

test('null, undefined, NaN and infinities count as null', () => {
  for (const value of [null, undefined, NaN, Infinity, -Infinity]) assert.equal(isNullish(value), true, String(value))
  for (const value of [0, -0, '', false, 0n, 'null', [], {}, Buffer.alloc(0), Number.MAX_VALUE]) {
    assert.equal(isNullish(value), false, String(value))
  }
})

test('every comparison is false against null or NaN, != included', () => {
  for (const op of ['<', '<=', '>', '>=', '==', '!='] as const) {
    for (const nullish of [null, undefined, NaN, Infinity, -Infinity]) {
      assert.equal(compareValues(op, nullish, 1), false, `${String(nullish)} ${op} 1`)
      assert.equal(compareValues(op, 1, nullish), false, `1 ${op} ${String(nullish)}`)
      assert.equal(compareValues(op, nullish, nullish), false)
    }
  }
})

test('each operator on numbers, bigints, strings and booleans', () => {
  const table: Array<[unknown, unknown, Record<string, boolean>]> = [
    [1, 2, { '<': true, '<=': true, '>': false, '>=': false, '==': false, '!=': true }],
    [2, 2, { '<': false, '<=': true, '>': false, '>=': true, '==': true, '!=': false }],
    [3n, 2.5, { '<': false, '<=': false, '>': true, '>=': true, '==': false, '!=': true }],
    [2n, 2, { '<': false, '<=': true, '>': false, '>=': true, '==': true, '!=': false }],
    ['ZTF19a', 'ZTF19b', { '<': true, '<=': true, '>': false, '>=': false, '==': false, '!=': true }],
    ['abc', 'abc', { '<': false, '<=': true, '>': false, '>=': true, '==': true, '!=': false }],
    [true, true, { '<': false, '<=': false, '>': false, '>=': false, '==': true, '!=': false }],
    [true, false, { '<': false, '<=': false, '>': false, '>=': false, '==': false, '!=': true }],
    // Different kinds: never equal, never ordered.
    ['1', 1, { '<': false, '<=': false, '>': false, '>=': false, '==': false, '!=': true }],
    [true, 1, { '<': false, '<=': false, '>': false, '>=': false, '==': false, '!=': true }],
    [Buffer.from('a'), 'a', { '<': false, '<=': false, '>': false, '>=': false, '==': false, '!=': true }],
    [{ a: 1 }, 1, { '<': false, '<=': false, '>': false, '>=': false, '==': false, '!=': true }]
  ]
  for (const [a, b, expected] of table) {
    for (const [op, result] of Object.entries(expected)) {
      assert.equal(compareValues(op as '<', a, b), result, `${String(a)} ${op} ${String(b)}`)
    }
  }
})

test('in: exact membership, null only when the list holds null', () => {
  assert.equal(isIn(2, [1, 2, 3]), true)
  assert.equal(isIn(2n, [1, 2, 3]), true)
  assert.equal(isIn(1234567890123456789n, [1234567890123456788n]), false)
  assert.equal(isIn(1234567890123456789n, [1234567890123456789n]), true)
  assert.equal(isIn('SN', ['SN', 'AGN']), true)
  assert.equal(isIn('sn', ['SN', 'AGN']), false)
  assert.equal(isIn(1, ['1']), false)
  assert.equal(isIn(NaN, [1, 2]), false)
  assert.equal(isIn(null, [1, 2]), false)
  assert.equal(isIn(undefined, [1, null]), true)
  assert.equal(isIn(NaN, [null]), true)
  assert.equal(isIn(0, [null]), false)
})
