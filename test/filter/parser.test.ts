import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FILTER_LIMITS, parseFilter, type FilterNode } from '../../src/filter/parser.js'
import { FilterSyntaxError } from '../../src/filter/filter-error.js'
import { GatewayError } from '../../src/errors.js'

/** The tree as compact text: `(and (a == 1) (not (b < 2)))`, to check shape and precedence. */
function show (node: FilterNode): string {
  const operand = (o: { kind: string, path?: readonly string[], value?: unknown }): string =>
    o.kind === 'field' ? (o.path as string[]).join('.') : typeof o.value === 'string' ? `'${o.value}'` : String(o.value)
  switch (node.kind) {
    case 'and': case 'or': return `(${node.kind} ${show(node.left)} ${show(node.right)})`
    case 'not': return `(not ${show(node.operand)})`
    case 'compare': return `(${operand(node.left)} ${node.op} ${operand(node.right)})`
    case 'in': return `(${operand(node.operand)} ${node.negated ? 'not in' : 'in'} ${node.values.map((v) => operand({ kind: 'literal', value: v })).join(',')})`
    case 'is-null': return `(${operand(node.operand)} ${node.negated ? 'is not null' : 'is null'})`
    case 'cone': return `(cone ${node.ra} ${node.dec} ${node.radiusArcsec})`
  }
}

function syntaxError (source: string): FilterSyntaxError {
  try {
    parseFilter(source)
  } catch (err) {
    assert.ok(err instanceof FilterSyntaxError, `${JSON.stringify(source)} threw ${String(err)}`)
    return err
  }
  assert.fail(`${JSON.stringify(source)} was accepted`)
}

test('not binds tighter than and, and tighter than or; both associate to the left', () => {
  const cases: Array<[string, string]> = [
    ['a == 1 or b == 2 and c == 3', '(or (a == 1) (and (b == 2) (c == 3)))'],
    ['a == 1 and b == 2 or c == 3', '(or (and (a == 1) (b == 2)) (c == 3))'],
    ['not a == 1 and b == 2', '(and (not (a == 1)) (b == 2))'],
    ['not a == 1 or not b == 2', '(or (not (a == 1)) (not (b == 2)))'],
    ['not not a == 1', '(not (not (a == 1)))'],
    ['(a == 1 or b == 2) and c == 3', '(and (or (a == 1) (b == 2)) (c == 3))'],
    ['not (a == 1 or b == 2)', '(not (or (a == 1) (b == 2)))'],
    ['a == 1 and b == 2 and c == 3', '(and (and (a == 1) (b == 2)) (c == 3))'],
    ['a == 1 or b == 2 or c == 3', '(or (or (a == 1) (b == 2)) (c == 3))'],
    ['((a == 1))', '(a == 1)']
  ]
  for (const [source, tree] of cases) assert.equal(show(parseFilter(source)), tree, source)
})

test('parses every predicate form', () => {
  const cases: Array<[string, string]> = [
    ['candidate.magpsf < 18', '(candidate.magpsf < 18)'],
    ['x <= -1.5', '(x <= -1.5)'], ['x > 1e3', '(x > 1000)'], ['x >= .5', '(x >= 0.5)'],
    ["objectId == 'ZTF19acihgng'", "(objectId == 'ZTF19acihgng')"], ['x != "a"', "(x != 'a')"],
    ['18 > candidate.magpsf', '(18 > candidate.magpsf)'], ['a.b < c.d', '(a.b < c.d)'],
    ['flag == true', '(flag == true)'], ['flag != false', '(flag != false)'],
    ['fid in (1, 2)', '(fid in 1,2)'], ["cls not in ('SN', \"AGN\")", "(cls not in 'SN','AGN')"],
    ['x in (null)', '(x in null)'], ['x is null', '(x is null)'], ['x is not null', '(x is not null)'],
    ['x == null', '(x is null)'], ['x != null', '(x is not null)'], ['null == x', '(x is null)'],
    ['cone(193.82, 2.89, 60)', '(cone 193.82 2.89 60)'], ['cone(0, -90, 0.5)', '(cone 0 -90 0.5)'],
    ['candid == 1234567890123456789', '(candid == 1234567890123456789)'],
    ['_x1.y_2 == 1', '(_x1.y_2 == 1)'], ['a.in == 1', '(a.in == 1)']
  ]
  for (const [source, tree] of cases) assert.equal(show(parseFilter(source)), tree, source)
})

test('keywords are case-insensitive and whitespace is free', () => {
  assert.equal(show(parseFilter('NOT a==1 AND b IS NOT NULL Or c In (1) oR CONE(1,2,3)')),
    '(or (or (and (not (a == 1)) (b is not null)) (c in 1)) (cone 1 2 3))')
  assert.equal(show(parseFilter('\n\ta\t<\n1 ')), '(a < 1)')
})

test('integer literals keep every digit', () => {
  const node = parseFilter('candid == 1234567890123456789')
  assert.equal(node.kind, 'compare')
  assert.equal(node.kind === 'compare' && node.right.kind === 'literal' ? node.right.value : undefined, 1234567890123456789n)
})

test('malformed expressions name the position of the mistake', () => {
  const cases: Array<[string, number, string]> = [
    ['candidate.magpsf < )', 19, "unexpected ')' at position 19: expected a value"],
    ['', 0, 'unexpected end of filter at position 0: expected a value'],
    ['   ', 3, 'unexpected end of filter at position 3: expected a value'],
    ['a <', 3, 'expected a value'],
    ['a', 1, "unexpected end of filter at position 1: expected a comparison operator, 'in', 'not in' or 'is'"],
    ['a = 1', 2, "use '==' to test equality"],
    ['a == 1 and', 10, 'expected a value'],
    ['a == 1 or or b == 2', 10, "unexpected 'or' at position 10"],
    ['a == 1 b == 2', 7, "expected 'and', 'or' or the end of the filter"],
    ['(a == 1', 7, "expected ')', 'and' or 'or'"],
    ['a == 1)', 6, "unexpected ')' at position 6"],
    ['()', 1, 'expected a value'],
    ['a. == 1', 3, "expected a field name after '.'"],
    ['a.b. < 1', 5, 'after'],
    ['.a == 1', 0, 'expected a value'],
    ['a == b ==', 7, "unexpected '=='"],
    ['a < 1 < 2', 6, "unexpected '<'"],
    ['a in 1, 2', 5, "expected '(' to start the list"],
    ['a in ()', 6, 'expected a number, a string, true, false or null'],
    ['a in (1,)', 8, 'expected a number, a string, true, false or null'],
    ['a in (1 2)', 8, "expected ',' or ')'"],
    ['a in (b)', 6, 'expected a number, a string'],
    ['a not == 1', 2, 'expected a comparison operator'],
    ['a is 1', 5, "expected 'null' or 'not null'"],
    ['a is not 1', 9, "expected 'null'"],
    ['and == 1', 0, 'expected a value'],
    ['not', 3, 'expected a value'],
    ['cone(1, 2)', 9, "expected ','"],
    ['cone(1, 2, 3', 12, "expected ')'"],
    ['cone(a, 2, 3)', 5, 'expected the right ascension in degrees'],
    ["cone(1, '2', 3)", 8, 'expected the declination in degrees'],
    ['cone(1, 2, x)', 11, 'expected the radius in arcseconds'],
    ['cone(1, 91, 3)', 8, 'outside [-90, 90]'],
    ['cone(1, -90.5, 3)', 8, 'outside [-90, 90]'],
    ['cone(1, 2, 0)', 11, 'must be above 0'],
    ['cone(1, 2, -5)', 11, 'must be above 0'],
    ['cone(1, 2, 648001)', 11, 'must be above 0'],
    ['cone == 1', 0, 'expected a value'],
    ['a < true', 2, "operator '<' at position 2 cannot order true"],
    ['null >= a', 5, 'cannot order null'],
    ['a == 1 &', 7, "unexpected '&'"],
    ['a == 1 and not', 14, 'expected a value']
  ]
  for (const [source, position, message] of cases) {
    const err = syntaxError(source)
    assert.equal(err.position, position, `${source}: ${err.message}`)
    assert.ok(err.message.includes(message), `${source}: ${err.message}`)
    assert.ok(err.message.includes(`position ${position}`), `${source}: ${err.message}`)
    assert.equal(err.code, 'FG_BAD_FILTER')
    assert.ok(err instanceof GatewayError)
  }
})

test('a long token is shortened in the message', () => {
  const err = syntaxError(`a == 1 ${'x'.repeat(100)}`)
  assert.ok(err.message.includes(`'${'x'.repeat(24)}…'`), err.message)
})

test('the length bound: at the limit compiles, one more character is an error at the limit', () => {
  const base = 'a == 1'
  const atLimit = base + ' '.repeat(FILTER_LIMITS.maxLength - base.length)
  assert.equal(show(parseFilter(atLimit)), '(a == 1)')
  const err = syntaxError(atLimit + ' ')
  assert.equal(err.position, FILTER_LIMITS.maxLength)
  assert.match(err.message, /longer than 2000 characters/)
})

test('the nesting bound counts parentheses and not', () => {
  const depth = FILTER_LIMITS.maxDepth
  assert.equal(show(parseFilter(`${'('.repeat(depth)}a == 1${')'.repeat(depth)}`)), '(a == 1)')
  const parens = syntaxError(`${'('.repeat(depth + 1)}a == 1${')'.repeat(depth + 1)}`)
  assert.equal(parens.position, depth)
  assert.match(parens.message, /nests deeper than 32 levels at position 32/)
  parseFilter(`${'not '.repeat(depth)}a == 1`)
  const nots = syntaxError(`${'not '.repeat(depth + 1)}a == 1`)
  assert.equal(nots.position, depth * 4)
  const mixed = syntaxError(`${'not ('.repeat(depth / 2)}(a == 1)${')'.repeat(depth / 2)}`)
  assert.equal(mixed.position, (depth / 2) * 5)
  // Depth is nesting, not count: many siblings are fine.
  parseFilter(Array.from({ length: 100 }, (_, i) => `(a == ${i})`).join(' or '))
})

test('the in-list bound', () => {
  const values = (n: number): string => Array.from({ length: n }, (_, i) => String(i)).join(',')
  const max = FILTER_LIMITS.maxInList
  const node = parseFilter(`x in (${values(max)})`)
  assert.equal(node.kind === 'in' ? node.values.length : 0, max)
  const source = `x in (${values(max + 1)})`
  const err = syntaxError(source)
  assert.equal(err.position, source.lastIndexOf(String(max)))
  assert.match(err.message, /has more than 256 values/)
})

test('a non-string filter is a syntax error, not a crash', () => {
  assert.equal(syntaxError(42 as unknown as string).position, 0)
})
