/**
 * Value semantics of the filter language. Decoded Avro values mix `number` (int, float, double)
 * and `bigint` (long): numbers compare exactly across the two, never through a rounding
 * conversion. A value the item shows as null (missing, null, NaN, ±Infinity) is null here too.
 */
import type { CompareOp, Literal } from './parser.js'

/** True for what the filter treats as null: missing, null, and non-finite numbers. */
export function isNullish (value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value))
}

/** Exact order of two numeric values: negative, zero or positive. Both must be finite. */
export function compareNumeric (a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  return typeof a === 'number' ? compareDoubleToBigint(a, b as bigint) : 0 - compareDoubleToBigint(b as number, a as bigint)
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const TWO_53 = 2 ** 53

function compareDoubleToBigint (x: number, b: bigint): number {
  // Fast paths without allocating: a safe bigint converts to a double exactly, and a bigint
  // beyond ±(2^53 - 1) lies beyond every double of smaller magnitude.
  if (b >= MIN_SAFE && b <= MAX_SAFE) {
    const n = Number(b)
    return x < n ? -1 : x > n ? 1 : 0
  }
  if (x > -TWO_53 && x < TWO_53) return b > 0n ? -1 : 1
  // Here |x| >= 2^53, so x is an integer, and converts to bigint exactly.
  const whole = BigInt(x)
  return whole < b ? -1 : whole > b ? 1 : 0
}

function isNumeric (value: unknown): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint'
}

function order (a: unknown, b: unknown): number | undefined {
  if (isNumeric(a) && isNumeric(b)) return compareNumeric(a, b)
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  return undefined
}

function equal (a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return compareNumeric(a, b) === 0
  if (typeof a === 'string' || typeof a === 'boolean') return a === b
  return false
}

/**
 * `a op b`. False whenever either side is null (use `is null`); `!=` is true for values of
 * different kinds; ordering needs two numbers or two strings.
 */
export function compareValues (op: CompareOp, a: unknown, b: unknown): boolean {
  if (isNullish(a) || isNullish(b)) return false
  switch (op) {
    case '==': return equal(a, b)
    case '!=': return !equal(a, b)
    default: {
      const sign = order(a, b)
      if (sign === undefined) return false
      return op === '<' ? sign < 0 : op === '<=' ? sign <= 0 : op === '>' ? sign > 0 : sign >= 0
    }
  }
}

/** `value in (…)`: false for a null value unless the list holds null. */
export function isIn (value: unknown, list: readonly Literal[]): boolean {
  if (isNullish(value)) return list.includes(null)
  return list.some((item) => item !== null && equal(value, item))
}
