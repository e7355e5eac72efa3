import { FilterSyntaxError } from './filter-error.js'

export const TokenKind = {
  name: 'name',
  number: 'number',
  string: 'string',
  punct: 'punct',
  end: 'end'
} as const

export interface Token {
  kind: typeof TokenKind[keyof typeof TokenKind]
  /** The source text of the token (for a string: with its quotes). */
  text: string
  /** A string's unescaped content, a number's literal value. */
  value?: string | number | bigint
  position: number
}

const PUNCTUATION = ['<=', '>=', '==', '!=', '<', '>', '(', ')', ',', '.', '=', '!'] as const
const NAME_START = /[A-Za-z_]/
const NAME_PART = /[A-Za-z0-9_]/
const DIGIT = /[0-9]/
const NUMBER = /^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '/': '/' }

/** Splits a filter into tokens; the last one is always `end`. Linear in the source length. */
export function tokenize (source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const c = source[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue }
    if (NAME_START.test(c)) {
      const start = i
      while (i < source.length && NAME_PART.test(source[i] as string)) i++
      tokens.push({ kind: TokenKind.name, text: source.slice(start, i), position: start })
      continue
    }
    const next = source[i + 1] ?? ''
    if (DIGIT.test(c) || (c === '.' && DIGIT.test(next)) ||
        ((c === '-' || c === '+') && (DIGIT.test(next) || (next === '.' && DIGIT.test(source[i + 2] ?? ''))))) {
      tokens.push(readNumber(source, i))
      i += (tokens.at(-1) as Token).text.length
      continue
    }
    if (c === "'" || c === '"') {
      const token = readString(source, i)
      tokens.push(token)
      i += token.text.length
      continue
    }
    const punct = PUNCTUATION.find((p) => source.startsWith(p, i))
    if (punct === undefined) {
      throw new FilterSyntaxError(`unexpected ${describeChar(c)} at position ${i}`, i)
    }
    tokens.push({ kind: TokenKind.punct, text: punct, position: i })
    i += punct.length
  }
  tokens.push({ kind: TokenKind.end, text: '', position: source.length })
  return tokens
}

function readNumber (source: string, start: number): Token {
  const text = (NUMBER.exec(source.slice(start, start + 400)) as RegExpExecArray)[0]
  const after = source[start + text.length]
  if (after !== undefined && (NAME_PART.test(after) || after === '.')) {
    throw new FilterSyntaxError(`malformed number '${source.slice(start, start + text.length + 1)}' at position ${start}`, start)
  }
  // Integers stay exact at any size (64-bit ids such as candid); anything else is a double.
  const isInteger = /^[-+]?[0-9]+$/.test(text)
  let value: number | bigint
  if (isInteger) {
    const big = BigInt(text)
    value = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
  } else {
    value = Number(text)
    if (!Number.isFinite(value)) {
      throw new FilterSyntaxError(`number '${text}' at position ${start} is out of range`, start)
    }
  }
  return { kind: TokenKind.number, text, value, position: start }
}

function readString (source: string, start: number): Token {
  const quote = source[start] as string
  let value = ''
  let i = start + 1
  while (i < source.length) {
    const c = source[i] as string
    if (c === quote) {
      return { kind: TokenKind.string, text: source.slice(start, i + 1), value, position: start }
    }
    if (c === '\\') {
      const e = source[i + 1]
      if (e === undefined) break
      if (e === 'u') {
        const hex = source.slice(i + 2, i + 6)
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
          throw new FilterSyntaxError(`bad escape '\\u${hex}' at position ${i}: expected four hex digits`, i)
        }
        value += String.fromCharCode(parseInt(hex, 16))
        i += 6
        continue
      }
      const simple = SIMPLE_ESCAPES[e]
      if (simple === undefined) {
        throw new FilterSyntaxError(`bad escape '\\${e}' at position ${i}`, i)
      }
      value += simple
      i += 2
      continue
    }
    value += c
    i++
  }
  throw new FilterSyntaxError(`unterminated string starting at position ${start}`, start)
}

function describeChar (c: string): string {
  const code = c.codePointAt(0) as number
  return code < 0x20 || code === 0x7f ? `character U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`
}
