import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tokenize } from '../../src/filter/lexer.js'
import { FilterSyntaxError } from '../../src/filter/filter-error.js'

function positionOf (source: string): number {
  try {
    tokenize(source)
  } catch (err) {
    assert.ok(err instanceof FilterSyntaxError, `${source}: ${String(err)}`)
    return err.position
  }
  assert.fail(`${source} was accepted`)
}

test('splits an expression into names, operators, literals and an end, with positions', () => {
  const tokens = tokenize("candidate.magpsf <= 18.5 and objectId != 'ZTF19'")
  assert.deepEqual(tokens.map((t) => [t.kind, t.text, t.position]), [
    ['name', 'candidate', 0], ['punct', '.', 9], ['name', 'magpsf', 10], ['punct', '<=', 17],
    ['number', '18.5', 20], ['name', 'and', 25], ['name', 'objectId', 29], ['punct', '!=', 38],
    ['string', "'ZTF19'", 41], ['end', '', 48]
  ])
})

test('reads every number form; integers beyond 2^53 stay exact as bigint', () => {
  const cases: Array<[string, number | bigint]> = [
    ['18', 18], ['-5', -5], ['+5', 5], ['1.5', 1.5], ['.5', 0.5], ['5.', 5], ['-.25', -0.25],
    ['1e3', 1000], ['-2.5E-3', -0.0025], ['6.02e+23', 6.02e23],
    ['9007199254740991', 9007199254740991], ['-9007199254740991', -9007199254740991],
    ['9007199254740993', 9007199254740993n], ['1234567890123456789', 1234567890123456789n],
    ['-1234567890123456789', -1234567890123456789n]
  ]
  for (const [text, value] of cases) {
    const [token] = tokenize(text)
    assert.equal(token?.kind, 'number', text)
    assert.equal(token?.value, value, text)
  }
})

test('reads strings in either quote with escapes', () => {
  const cases: Array<[string, string]> = [
    ["'abc'", 'abc'], ['"abc"', 'abc'], ["''", ''], ["'it\\'s'", "it's"], ['"say \\"hi\\""', 'say "hi"'],
    ["'a\\\\b'", 'a\\b'], ["'\\n\\t\\r\\/'", '\n\t\r/'], ["'\\u00e9t\\u00C9'", 'étÉ'], ['"it\'s"', "it's"],
    ["'a and b < 3'", 'a and b < 3']
  ]
  for (const [text, value] of cases) {
    const tokens = tokenize(text)
    assert.equal(tokens.length, 2, text)
    assert.equal(tokens[0]?.kind, 'string', text)
    assert.equal(tokens[0]?.value, value, text)
    assert.equal(tokens[0]?.text, text)
  }
})

test('rejects bad characters, strings and numbers at the right position', () => {
  const cases: Array<[string, number]> = [
    ['a < 1 & b', 6], ['a @ 1', 2], ['x == \u0001', 5], ['a < 1 || b', 6], ['a == #', 5],
    ["'open", 0], ["a == 'open", 5], ['a == "x\\', 5], ["a == 'bad \\q'", 10], ["a == '\\u12'", 6],
    ['a < 5abc', 4], ['a < 1.2.3', 4], ['a < 1e', 4], ['a < 1e999', 4], ['a < -1e400', 4],
    ['a == 12' + '3'.repeat(500), 5], ['a ; b', 2], ['[a]', 0]
  ]
  for (const [source, position] of cases) assert.equal(positionOf(source), position, source)
})

test('error messages name the character and the position', () => {
  assert.throws(() => tokenize('a < 1 & b'), { code: 'FG_BAD_FILTER', message: "unexpected '&' at position 6" })
  assert.throws(() => tokenize('a\u0007'), { message: 'unexpected character U+0007 at position 1' })
  assert.throws(() => tokenize("x == 'abc"), { message: 'unterminated string starting at position 5' })
})
