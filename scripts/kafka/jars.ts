/**
 * Apache Kafka's jars, resolved by Maven from scripts/kafka/pom.xml into .cache/kafka/libs.
 * Skipped when the libs of the same pom are already there (warm start).
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { paths } from './paths.js'
import { runCommand } from './run.js'

const MAVEN_TIMEOUT_MS = 10 * 60_000

async function pomHash (): Promise<string> {
  return createHash('sha256').update(await readFile(paths.pom)).digest('hex')
}

export async function jarsReady (): Promise<boolean> {
  if (!existsSync(paths.libsComplete)) return false
  return (await readFile(paths.libsComplete, 'utf8')).trim() === await pomHash()
}

/** Resolves the jars unless present; returns true when Maven ran. */
export async function ensureJars (log: (line: string) => void): Promise<boolean> {
  if (await jarsReady()) return false
  log(`resolving Apache Kafka jars with Maven into ${paths.libs} (first start only)`)
  // a stale or half-copied folder would mix versions on the class path
  await rm(paths.libs, { recursive: true, force: true })
  await runCommand('mvn', [
    '-q', '-B', '-Dstyle.color=never',
    '-f', paths.pom,
    'dependency:copy-dependencies',
    `-Dmaven.repo.local=${paths.mavenRepo}`,
    `-DoutputDirectory=${paths.libs}`
  ], { timeoutMs: MAVEN_TIMEOUT_MS, cwd: paths.root })
  await writeFile(paths.libsComplete, await pomHash() + '\n')
  return true
}

export function classPath (): string {
  return join(paths.libs, '*')
}

export function javaCommand (): string {
  const home = process.env.JAVA_HOME
  return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java'
}

/** JVM options shared by the broker and the tools: quiet Log4j 2 into .kafka/logs. */
export function logOptions (): string[] {
  return [`-Dlog4j2.configurationFile=${paths.log4jConfig}`, `-Dkafka.logs.dir=${paths.logs}`]
}

/** Runs one of Kafka's command-line tools (a main class) with a small, fast-starting JVM. */
export function runKafkaTool (mainClass: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return runCommand(javaCommand(), [
    '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
    '-cp', classPath(), ...logOptions(), mainClass, ...args
  ], { timeoutMs, cwd: paths.root })
}
