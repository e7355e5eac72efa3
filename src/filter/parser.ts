import { FilterSyntaxError } from './filter-error.js'
import { tokenize, TokenKind, type Token } from './lexer.js'

export const FILTER_LIMITS = {
  /** Longest accepted filter, in characters. */
  maxLength: 2000,
  /** Deepest nesting of parentheses and `not`. */
  maxDepth: 32,
  /** Most values in one `in ( … )` list. */
  maxInList: 256
} as const

export type Literal = number | bigint | string | boolean | null
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!='

export type Operand =
  | { kind: 'field', path: readonly string[], position: number }
  | { kind: 'literal', value: Literal, position: number }

export type FilterNode =
  | { kind: 'and' | 'or', left: FilterNode, right: FilterNode }
  | { kind: 'not', operand: FilterNode }
  | { kind: 'compare', op: CompareOp, left: Operand, right: Operand }
  | { kind: 'in', negated: boolean, operand: Operand, values: readonly Literal[] }
  | { kind: 'is-null', negated: boolean, operand: Operand }
  | { kind: 'cone', ra: number, dec: number, radiusArcsec: number }

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false', 'cone'])
const COMPARE_OPS = new Set<string>(['<', '<=', '>', '>=', '==', '!='])
const ORDERING_OPS = new Set<string>(['<', '<=', '>', '>='])

/** Parses a filter (grammar: src/filter/index.ts) into a tree; throws FilterSyntaxError. */
export function parseFilter (source: string): FilterNode {
  if (typeof source !== 'string') throw new FilterSyntaxError('the filter must be a string', 0)
  if (source.length > FILTER_LIMITS.maxLength) {
    throw new FilterSyntaxError(`the filter is longer than ${FILTER_LIMITS.maxLength} characters`, FILTER_LIMITS.maxLength)
  }
  return new Parser(tokenize(source)).parseFilter()
}

function keyword (token: Token): string | undefined {
  if (token.kind !== TokenKind.name) return undefined
  const lower = token.text.toLowerCase()
  return KEYWORDS.has(lower) ? lower : undefined
}

function describe (token: Token): string {
  if (token.kind === TokenKind.end) return 'end of filter'
  const text = token.text.length > 24 ? `${token.text.slice(0, 24)}…` : token.text
  return `'${text}'`
}

class Parser {
  private index = 0
  private depth = 0

  constructor (private readonly tokens: Token[]) {}

  parseFilter (): FilterNode {
    const node = this.parseOr()
    const token = this.peek()
    if (token.kind !== TokenKind.end) this.fail(token, "'and', 'or' or the end of the filter")
    return node
  }

  private peek (ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token
  }

  private take (): Token {
    const token = this.peek()
    if (token.kind !== TokenKind.end) this.index++
    return token
  }

  private isKeyword (word: string, ahead = 0): boolean {
    return keyword(this.peek(ahead)) === word
  }

  private isPunct (text: string): boolean {
    const token = this.peek()
    return token.kind === TokenKind.punct && token.text === text
  }

  private expectPunct (text: string, expected: string): Token {
    if (!this.isPunct(text)) this.fail(this.peek(), expected)
    return this.take()
  }

  private fail (token: Token, expected: string): never {
    const hint = token.kind === TokenKind.punct && token.text === '=' ? " (use '==' to test equality)" : ''
    throw new FilterSyntaxError(`unexpected ${describe(token)} at position ${token.position}: expected ${expected}${hint}`, token.position)
  }

  private enter (token: Token): void {
    if (++this.depth > FILTER_LIMITS.maxDepth) {
      throw new FilterSyntaxError(`the filter nests deeper than ${FILTER_LIMITS.maxDepth} levels at position ${token.position}`, token.position)
    }
  }

  private parseOr (): FilterNode {
    let node = this.parseAnd()
    while (this.isKeyword('or')) {
      this.take()
      node = { kind: 'or', left: node, right: this.parseAnd() }
    }
    return node
  }

  private parseAnd (): FilterNode {
    let node = this.parseNot()
    while (this.isKeyword('and')) {
      this.take()
      node = { kind: 'and', left: node, right: this.parseNot() }
    }
    return node
  }

  private parseNot (): FilterNode {
    if (this.isKeyword('not')) {
      const token = this.take()
      this.enter(token)
      const operand = this.parseNot()
      this.depth--
      return { kind: 'not', operand }
    }
    return this.parsePrimary()
  }

  private parsePrimary (): FilterNode {
    if (this.isPunct('(')) {
      const open = this.take()
      this.enter(open)
      const node = this.parseOr()
      this.expectPunct(')', "')', 'and' or 'or'")
      this.depth--
      return node
    }
    if (this.isKeyword('cone') && this.peek(1).kind === TokenKind.punct && this.peek(1).text === '(') {
      return this.parseCone()
    }
    return this.parsePredicate()
  }

  private parseCone (): FilterNode {
    this.take()
    this.take()
    const ra = this.coneNumber('the right ascension in degrees')
    this.expectPunct(',', "','")
    const dec = this.coneNumber('the declination in degrees')
    this.expectPunct(',', "','")
    const radius = this.coneNumber('the radius in arcseconds')
    this.expectPunct(')', "')'")
    if (dec.value < -90 || dec.value > 90) {
      throw new FilterSyntaxError(`cone declination ${dec.token.text} at position ${dec.token.position} is outside [-90, 90]`, dec.token.position)
    }
    if (!(radius.value > 0) || radius.value > 180 * 3600) {
      throw new FilterSyntaxError(`cone radius ${radius.token.text} at position ${radius.token.position} must be above 0 and at most 648000 arcsec`, radius.token.position)
    }
    return { kind: 'cone', ra: ra.value, dec: dec.value, radiusArcsec: radius.value }
  }

  private coneNumber (expected: string): { value: number, token: Token } {
    const token = this.peek()
    if (token.kind !== TokenKind.number) this.fail(token, expected)
    this.take()
    return { value: Number(token.value), token }
  }

  private parsePredicate (): FilterNode {
    const left = this.parseOperand()
    const token = this.peek()
    if (token.kind === TokenKind.punct && COMPARE_OPS.has(token.text)) {
      this.take()
      const op = token.text as CompareOp
      const right = this.parseOperand()
      return this.comparison(op, token, left, right)
    }
    if (this.isKeyword('in') || (this.isKeyword('not') && this.isKeyword('in', 1))) {
      const negated = this.isKeyword('not')
      if (negated) this.take()
      this.take()
      return { kind: 'in', negated, operand: left, values: this.parseList() }
    }
    if (this.isKeyword('is')) {
      this.take()
      const negated = this.isKeyword('not')
      if (negated) this.take()
      if (!this.isKeyword('null')) this.fail(this.peek(), negated ? "'null'" : "'null' or 'not null'")
      this.take()
      return { kind: 'is-null', negated, operand: left }
    }
    return this.fail(token, "a comparison operator, 'in', 'not in' or 'is'")
  }

  private comparison (op: CompareOp, token: Token, left: Operand, right: Operand): FilterNode {
    const literals = [left, right].filter((o) => o.kind === 'literal')
    for (const literal of literals) {
      const value = literal.value
      if (ORDERING_OPS.has(op) && (value === null || typeof value === 'boolean')) {
        throw new FilterSyntaxError(`operator '${op}' at position ${token.position} cannot order ${String(value)}: use a number or a string`, token.position)
      }
    }
    // `x == null` and `x != null` read as `x is null` and `x is not null`.
    if (right.kind === 'literal' && right.value === null) return { kind: 'is-null', negated: op === '!=', operand: left }
    if (left.kind === 'literal' && left.value === null) return { kind: 'is-null', negated: op === '!=', operand: right }
    return { kind: 'compare', op, left, right }
  }

  private parseList (): Literal[] {
    this.expectPunct('(', "'(' to start the list")
    const values: Literal[] = []
    for (;;) {
      const token = this.peek()
      const word = keyword(token)
      const isLiteral = token.kind === TokenKind.number || token.kind === TokenKind.string ||
        word === 'true' || word === 'false' || word === 'null'
      if (!isLiteral) this.fail(token, 'a number, a string, true, false or null')
      const operand = this.parseOperand() as Extract<Operand, { kind: 'literal' }>
      if (values.length === FILTER_LIMITS.maxInList) {
        throw new FilterSyntaxError(`the 'in' list at position ${token.position} has more than ${FILTER_LIMITS.maxInList} values`, token.position)
      }
      values.push(operand.value)
      if (this.isPunct(',')) { this.take(); continue }
      this.expectPunct(')', "',' or ')'")
      return values
    }
  }

  private parseOperand (): Operand {
    const token = this.peek()
    if (token.kind === TokenKind.number || token.kind === TokenKind.string) {
      this.take()
      return { kind: 'literal', value: token.value as Literal, position: token.position }
    }
    const word = keyword(token)
    if (word === 'true' || word === 'false' || word === 'null') {
      this.take()
      return { kind: 'literal', value: word === 'null' ? null : word === 'true', position: token.position }
    }
    if (token.kind === TokenKind.name && word === undefined) {
      this.take()
      const path = [token.text]
      while (this.isPunct('.')) {
        this.take()
        const part = this.peek()
        if (part.kind !== TokenKind.name) this.fail(part, 'a field name after \'.\'')
        this.take()
        path.push(part.text)
      }
      return { kind: 'field', path, position: token.position }
    }
    return this.fail(token, 'a value')
  }
}
