/** Where the local Kafka keeps its jars (cache, outside git) and its state (.kafka/, git-ignored). */
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

export const KAFKA_VERSION = '4.1.1'

export const paths = {
  root,
  pom: join(root, 'scripts', 'kafka', 'pom.xml'),
  serverTemplate: join(root, 'scripts', 'kafka', 'server.properties'),
  log4jConfig: join(root, 'scripts', 'kafka', 'log4j2.properties'),
  cache: join(root, '.cache', 'kafka'),
  mavenRepo: join(root, '.cache', 'kafka', 'm2'),
  libs: join(root, '.cache', 'kafka', 'libs'),
  /** Written after Maven succeeded: the pom's hash, so a changed pom resolves again. */
  libsComplete: join(root, '.cache', 'kafka', 'libs', '.complete'),
  state: join(root, '.kafka'),
  data: join(root, '.kafka', 'data'),
  logs: join(root, '.kafka', 'logs'),
  serverProperties: join(root, '.kafka', 'server.properties'),
  pidFile: join(root, '.kafka', 'kafka.pid'),
  serverLog: join(root, '.kafka', 'logs', 'server.log'),
  stdoutLog: join(root, '.kafka', 'logs', 'stdout.log')
} as const
