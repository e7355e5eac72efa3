/**
 * Real Fink alerts for filter tests: the reference decoder's JSON of each alert in
 * FINK_ALERTS_DIR/expected (default ../shared/fink-alerts), parsed without rounding: integers
 * become bigint, as avsc decodes Avro longs.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse, parseNumberAndBigInt } from 'lossless-json'

const REPO_ROOT = resolve(import.meta.dirname, '../..')
export const FINK_ALERTS_DIR = process.env.FINK_ALERTS_DIR ?? resolve(REPO_ROOT, '../shared/fink-alerts')

export type Alert = Record<string, unknown>

const cache = new Map<string, Alert[]>()

/**
 * The alerts of one expected file, e.g. `ztf__ftransfer-ztf-2026-03-23-part-3.avro.jsonl`.
 * Parsed once per test file; each call returns fresh copies of the top-level array.
 */
export function realAlerts (file: string): Alert[] {
  let alerts = cache.get(file)
  if (alerts === undefined) {
    alerts = parseFile(file)
    cache.set(file, alerts)
  }
  return [...alerts]
}

function parseFile (file: string): Alert[] {
  return readFileSync(join(FINK_ALERTS_DIR, 'expected', file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parse(line, null, parseNumberAndBigInt) as Alert)
}

export const ZTF_2026 = 'ztf__ftransfer-ztf-2026-03-23-part-3.avro.jsonl'
export const ZTF_SAMPLE = 'ztf__sample-part-00001.avro.jsonl'
export const LSST_2026 = 'lsst__ftransfer-lsst-2026-03-18-part-2.avro.jsonl'
export const ELASTICC = 'lsst__elasticc-alert-obj747.avro.gz.jsonl'

export function record (value: unknown): Alert {
  return value as Alert
}
