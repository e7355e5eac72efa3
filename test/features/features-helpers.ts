/**
 * Helpers for the feature tests: a topic of real alerts, REST reads through inject, and
 * Kafka's own DeleteRecordsCommand (from the local Kafka jars) to make a retention gap.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'
import { parse } from 'lossless-json'
import { KAFKA_BROKERS, type buildApp } from '../helpers/app.js'
import { topicWithAlerts } from '../kafka/kafka-helpers.js'

export type App = Awaited<ReturnType<typeof buildApp>>
export type Item = Record<string, any>

/** 31 real ZTF alerts (Fink Data Transfer, 2026 schema). */
export const ZTF_FILE = new URL('../../data/alerts/ftransfer-ztf-2026-03-23-part-3.avro', import.meta.url).pathname

export async function alertTopic (t: TestContext, prefix: string, partitions = 1): Promise<{ topic: string, count: number }> {
  return await topicWithAlerts(t, prefix, [ZTF_FILE], { partitions })
}

/** GET with inject; the body parsed losslessly-enough for tests (numbers as JS numbers are fine for magnitudes). */
export async function get (app: App, url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: any, headers: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url, headers })
  let body: any = null
  if (res.body !== '') body = JSON.parse(res.body)
  return { status: res.statusCode, body, headers: res.headers }
}

/** Exact int64s: parse with lossless-json when candid matters. */
export function parseExact (text: string): any { return parse(text) }

export const q = (params: Record<string, string | number>): string =>
  Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')

const KAFKA_LIBS = new URL('../../.cache/kafka/libs', import.meta.url).pathname

/** Why records cannot be deleted here, or null when DeleteRecordsCommand can run. */
export function deleteRecordsUnavailable (): string | null {
  if (!existsSync(KAFKA_LIBS)) return `no local Kafka jars at ${KAFKA_LIBS} (npm run kafka -- start downloads them)`
  if (!readdirSync(KAFKA_LIBS).some((f) => f.startsWith('kafka-tools-'))) return 'kafka-tools jar missing from the local Kafka jars'
  return null
}

/** Deletes every record before `offset` (Kafka's DeleteRecords: the low watermark moves there). */
export async function deleteRecordsBefore (topic: string, partition: number, offset: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-delete-records-'))
  const file = join(dir, 'offsets.json')
  writeFileSync(file, JSON.stringify({ partitions: [{ topic, partition, offset }], version: 1 }))
  await promisify(execFile)('java', ['-cp', `${KAFKA_LIBS}/*`, 'org.apache.kafka.tools.DeleteRecordsCommand',
    '--bootstrap-server', KAFKA_BROKERS.split(',')[0] as string, '--offset-json-file', file], { timeout: 60000 })
}
