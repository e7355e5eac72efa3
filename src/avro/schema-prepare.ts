import avsc from 'avsc'
import { BigIntLongType } from './long-type.js'

/**
 * Parses an Avro schema the way fastavro (Fink's own tooling) accepts it.
 *
 * Strict parsers (avsc included) reject a union field whose default does not match the
 * union's first branch (`"type": ["float", "null"], "default": null`), which real Fink schemas
 * have. Defaults play no part when decoding with the writer schema, so such defaults are
 * dropped; the union's branch order is never changed (it is the wire format).
 */
export function parseSchema (schema: unknown): avsc.Type {
  const lenient = dropDefaults(schema, false)
  try {
    return forSchema(lenient)
  } catch (err) {
    // A default avsc still rejects (e.g. on a non-union field): defaults are irrelevant here.
    if (!(err instanceof Error) || !err.message.includes('default')) throw err
    return forSchema(dropDefaults(schema, true))
  }
}

function forSchema (schema: unknown): avsc.Type {
  return avsc.Type.forSchema(schema as avsc.Schema, {
    wrapUnions: 'auto',
    registry: { long: BigIntLongType } as unknown as avsc.ForSchemaOptions['registry']
  })
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const PRIMITIVE_KIND: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'string',
  string: 'string'
}

/** The JSON kind a default must have for this (first) branch, or undefined if unknown (a named reference). */
function defaultKind (branch: Json, named: ReadonlyMap<string, string>): string | undefined {
  if (typeof branch === 'string') return PRIMITIVE_KIND[branch] ?? named.get(branch)
  if (branch === null || typeof branch !== 'object' || Array.isArray(branch)) return undefined
  const t = branch.type
  if (typeof t !== 'string') return undefined
  if (t in PRIMITIVE_KIND) return PRIMITIVE_KIND[t]
  if (t === 'enum' || t === 'fixed') return 'string'
  if (t === 'array') return 'array'
  if (t === 'map' || t === 'record' || t === 'error') return 'object'
  return named.get(t)
}

function kindOf (value: Json): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** A copy of the schema without the union defaults that do not fit the first branch (or without any, `all`). */
function dropDefaults (node: unknown, all: boolean, named = new Map<string, string>()): unknown {
  if (Array.isArray(node)) return node.map((n) => dropDefaults(n, all, named))
  if (node === null || typeof node !== 'object') return node
  const obj = node as Record<string, Json>
  const out: Record<string, unknown> = {}
  if (typeof obj.name === 'string' && typeof obj.type === 'string') {
    const kind = obj.type === 'enum' || obj.type === 'fixed' ? 'string' : obj.type === 'record' || obj.type === 'error' ? 'object' : undefined
    if (kind !== undefined) {
      const ns = typeof obj.namespace === 'string' && obj.namespace !== '' ? `${obj.namespace}.` : ''
      named.set(obj.name, kind)
      if (!obj.name.includes('.')) named.set(ns + obj.name, kind)
    }
  }
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'fields' && Array.isArray(value)) {
      out.fields = value.map((field) => {
        const f = dropDefaults(field, all, named) as Record<string, Json>
        if (all) {
          delete f.default
        } else if (Array.isArray(f.type) && 'default' in f && f.type.length > 0) {
          const kind = defaultKind(f.type[0] as Json, named)
          if (kind === undefined || kind !== kindOf(f.default as Json)) delete f.default
        }
        return f
      })
    } else {
      out[key] = dropDefaults(value, all, named)
    }
  }
  return out
}
