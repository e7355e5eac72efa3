import { compareValues, isIn, isNullish } from './compare.js'
import { parseFilter, type FilterNode, type Operand } from './parser.js'
import { alertPosition, angularSeparationArcsec } from './sky.js'

export type AlertPredicate = (alert: unknown) => boolean
type Getter = (alert: unknown) => unknown

/** Parses `source` once and builds a predicate from closures: no code is generated or evaluated. */
export function compileFilter (source: string): AlertPredicate {
  return build(parseFilter(source))
}

function build (node: FilterNode): AlertPredicate {
  switch (node.kind) {
    case 'and': {
      const left = build(node.left)
      const right = build(node.right)
      return (alert) => left(alert) && right(alert)
    }
    case 'or': {
      const left = build(node.left)
      const right = build(node.right)
      return (alert) => left(alert) || right(alert)
    }
    case 'not': {
      const operand = build(node.operand)
      return (alert) => !operand(alert)
    }
    case 'compare': {
      const { op } = node
      const left = getter(node.left)
      const right = getter(node.right)
      return (alert) => compareValues(op, left(alert), right(alert))
    }
    case 'in': {
      const get = getter(node.operand)
      const { values, negated } = node
      return negated
        ? (alert) => { const value = get(alert); return !isNullish(value) && !isIn(value, values) }
        : (alert) => isIn(get(alert), values)
    }
    case 'is-null': {
      const get = getter(node.operand)
      return node.negated ? (alert) => !isNullish(get(alert)) : (alert) => isNullish(get(alert))
    }
    case 'cone': {
      const { ra, dec, radiusArcsec } = node
      return (alert) => {
        const position = alertPosition(alert)
        return position !== undefined && angularSeparationArcsec(ra, dec, position.ra, position.dec) <= radiusArcsec
      }
    }
  }
}

function getter (operand: Operand): Getter {
  if (operand.kind === 'literal') {
    const { value } = operand
    return () => value
  }
  const { path } = operand
  return (alert) => {
    let value: unknown = alert
    for (const name of path) {
      // Own properties only: `constructor` or `__proto__` never reach the prototype.
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return undefined
      value = (value as Record<string, unknown>)[name]
    }
    return value
  }
}
