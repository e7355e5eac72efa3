/**
 * Test helpers around the real Fink alerts in FINK_ALERTS_DIR (default ../shared/fink-alerts):
 * listing them, their expected JSON, Apache Avro's reference decoder, and comparing JSON texts
 * value by value with every int64 digit.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { isLosslessNumber, parse } from 'lossless-json'

export const REPO_ROOT = resolve(import.meta.dirname, '../..')
export const FINK_ALERTS_DIR = process.env.FINK_ALERTS_DIR ?? resolve(REPO_ROOT, '../shared/fink-alerts')
export const SHIPPED_ALERTS_DIR = join(REPO_ROOT, 'data/alerts')
export const SHIPPED_SCHEMAS_DIR = join(REPO_ROOT, 'schemas')
/** Debian's python3 with python3-avro and python3-snappy (pyenv's python3 lacks them). */
export const REFERENCE_PYTHON = process.env.REFERENCE_PYTHON ?? '/usr/bin/python3'
const REFERENCE_SCRIPT = join(import.meta.dirname, 'reference-decode.py')

export interface AlertFile {
  folder: string
  name: string
  path: string
  /** expected/<folder>__<name>.jsonl */
  expectedPath: string
}

/** Every .avro / .avro.gz file of the shared alerts, sorted. */
export function alertFiles (): AlertFile[] {
  const out: AlertFile[] = []
  for (const folder of ['ztf', 'lsst']) {
    for (const name of readdirSync(join(FINK_ALERTS_DIR, folder)).sort()) {
      if (!/\.avro(\.gz)?$/.test(name)) continue
      out.push({ folder, name, path: join(FINK_ALERTS_DIR, folder, name), expectedPath: join(FINK_ALERTS_DIR, 'expected', `${folder}__${name}.jsonl`) })
    }
  }
  return out
}

export function alertFile (folder: string, name: string): AlertFile {
  const found = alertFiles().find((f) => f.folder === folder && f.name === name)
  if (found === undefined) throw new Error(`no ${folder}/${name} in ${FINK_ALERTS_DIR}`)
  return found
}

export function expectedLines (file: AlertFile): string[] {
  return readFileSync(file.expectedPath, 'utf8').split('\n').filter((l) => l.length > 0)
}

/** The reference decoder's JSON lines for a container file. */
export async function referenceLines (path: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(REFERENCE_PYTHON, [REFERENCE_SCRIPT, path], { maxBuffer: 256 * 1024 * 1024 })
  return stdout.split('\n').filter((l) => l.length > 0)
}

/** Numbers compared by value: integers as bigint (all digits), others as doubles (18.0 == 18). */
function numberValue (text: string): bigint | number {
  if (/^-?\d+$/.test(text)) return BigInt(text)
  const n = Number(text)
  return Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? BigInt(n) : n
}

/** The first difference between two parsed lossless-json values, as a path and both sides. */
export function firstDifference (a: unknown, b: unknown, path = '$'): string | undefined {
  if (isLosslessNumber(a) || isLosslessNumber(b)) {
    if (!isLosslessNumber(a) || !isLosslessNumber(b)) return `${path}: ${String(a)} vs ${String(b)}`
    const x = numberValue(a.toString())
    const y = numberValue(b.toString())
    return x === y || (typeof x === 'number' && typeof y === 'number' && Object.is(x, y)) ? undefined : `${path}: ${a.toString()} vs ${b.toString()}`
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: array vs non-array`
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    if (ka.join(',') !== kb.join(',')) return `${path}: keys ${ka.join(',')} vs ${kb.join(',')}`
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return a === b ? undefined : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
}

/** Compares two JSON texts by value (lossless); undefined when equal. */
export function jsonDifference (actual: string, expected: string): string | undefined {
  return firstDifference(parse(actual), parse(expected))
}
