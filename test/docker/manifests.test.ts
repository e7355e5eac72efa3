import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { ConfigSchema, loadConfig } from '../../src/config.js'
import { GatewayMetrics } from '../../src/metrics.js'

const root = join(import.meta.dirname, '..', '..')
const k8sDir = join(root, 'docker', 'k8s')

type Doc = Record<string, any>

function loadK8s (): Doc[] {
  const docs: Doc[] = []
  for (const file of readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `${file}: ${doc.errors.map((e) => e.message).join('; ')}`)
      const value = doc.toJS() as Doc | null
      if (value !== null) docs.push({ ...value, __file: file })
    }
  }
  return docs
}

function only (docs: Doc[], kind: string, name?: string): Doc {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name))
  assert.equal(found.length, 1, `expected one ${kind}${name !== undefined ? ` ${name}` : ''}, found ${found.length}`)
  return found[0] as Doc
}

/** The uid of the Dockerfile's runtime USER. */
function dockerfileUser (): number {
  const users = [...readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1] ?? '')
  assert.equal(users.length, 1)
  return Number((users[0] ?? '').split(':')[0])
}

test('the Dockerfile: multi-stage Node 20 build, non-root numeric user, one port, health check, no dev dependencies', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8')
  const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)]
  assert.ok(stages.length >= 2, 'multi-stage')
  assert.match(text, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m)
  assert.ok(stages.every((s) => /^\$\{NODE_IMAGE\}$/.test(s[1] ?? '')), 'every stage on the same Node 20 image')
  assert.match(text, /build-essential/)
  assert.match(text, /npm ci\b/)
  assert.match(text, /npm run build/)
  assert.match(text, /npm prune --omit=dev/)
  const uid = dockerfileUser()
  assert.ok(Number.isInteger(uid) && uid > 0, 'USER is a numeric non-root uid')
  const exposed = [...text.matchAll(/^EXPOSE\s+(.+)$/gm)].map((m) => m[1]?.trim())
  assert.deepEqual(exposed, ['8080'])
  assert.match(text, /^HEALTHCHECK .*\n?.*\/healthz/m)
  assert.match(text, /^CMD \["node", "dist\/src\/server\.js"\]$/m)
  assert.match(text, /NODE_ENV=production/)
  assert.match(text, /UV_THREADPOOL_SIZE=\d+/)
  const runtime = text.slice(text.search(/^FROM .* AS runtime/m))
  const copied = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map((m) => m[1])
  assert.deepEqual(copied.sort(), ['data/alerts', 'dist', 'node_modules', 'package.json', 'schemas'])
})

test('the Deployment: probes, resources, restricted Pod Security, preStop and a grace period above the gateway\'s', () => {
  const docs = loadK8s()
  const deployment = only(docs, 'Deployment')
  const pod = deployment.spec.template.spec
  assert.equal(pod.containers.length, 1)
  const container = pod.containers[0]

  assert.equal(container.livenessProbe.httpGet.path, '/healthz')
  assert.equal(container.readinessProbe.httpGet.path, '/readyz')
  assert.equal(container.ports[0].containerPort, 8080)
  for (const kind of ['requests', 'limits']) {
    assert.ok(container.resources[kind].memory !== undefined, `resources.${kind}.memory`)
  }
  assert.ok(container.resources.requests.cpu !== undefined)

  // Pod Security Standards, "restricted" profile
  const podSecurity = pod.securityContext
  const securityContext = container.securityContext
  assert.equal(podSecurity.runAsNonRoot ?? securityContext.runAsNonRoot, true)
  assert.equal(securityContext.allowPrivilegeEscalation, false)
  assert.deepEqual(securityContext.capabilities.drop, ['ALL'])
  assert.equal(securityContext.capabilities.add, undefined)
  assert.equal((securityContext.seccompProfile ?? podSecurity.seccompProfile).type, 'RuntimeDefault')
  assert.notEqual(securityContext.privileged, true)
  assert.equal(securityContext.readOnlyRootFilesystem, true)
  const uid = securityContext.runAsUser ?? podSecurity.runAsUser
  assert.ok(uid !== 0, 'runAsUser is not root')
  assert.equal(uid, dockerfileUser(), 'the pod runs as the image\'s user')
  assert.equal(pod.hostNetwork ?? false, false)
  assert.equal(pod.hostPID ?? false, false)
  for (const volume of pod.volumes ?? []) assert.equal(volume.hostPath, undefined, 'no hostPath volumes')
  assert.ok(container.volumeMounts.some((m: Doc) => m.mountPath === '/tmp'), 'a writable /tmp beside the read-only root')

  const preStop = container.lifecycle.preStop.exec.command as string[]
  assert.equal(preStop[0], 'sleep')
  const preStopSeconds = Number(preStop[1])
  const configMap = only(docs, 'ConfigMap')
  const grace = Number(configMap.data.SHUTDOWN_GRACE_SECONDS ?? ConfigSchema.properties.SHUTDOWN_GRACE_SECONDS.default)
  assert.ok(pod.terminationGracePeriodSeconds > preStopSeconds + grace,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} must exceed preStop ${preStopSeconds} s + SHUTDOWN_GRACE_SECONDS ${grace}`)
  assert.ok(preStopSeconds + grace <= 25, 'the contract: exit within 25 s of SIGTERM')

  assert.deepEqual(deployment.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'fink-gateway' })
  assert.equal(deployment.spec.template.metadata.labels['app.kubernetes.io/name'], 'fink-gateway')
})

test('ConfigMap and Secret name only variables the gateway knows', () => {
  const docs = loadK8s()
  const known = new Set([...Object.keys(ConfigSchema.properties), 'UV_THREADPOOL_SIZE', 'NODE_ENV'])
  const configMap = only(docs, 'ConfigMap')
  for (const key of Object.keys(configMap.data)) assert.ok(known.has(key), `ConfigMap: unknown variable ${key}`)
  const secret = only(docs, 'Secret')
  for (const key of Object.keys(secret.stringData)) assert.ok(known.has(key), `Secret: unknown variable ${key}`)
  const container = only(docs, 'Deployment').spec.template.spec.containers[0]
  for (const env of container.env) assert.ok(known.has(env.name), `Deployment env: unknown variable ${env.name}`)
  const refs = container.envFrom.map((e: Doc) => e.configMapRef?.name ?? e.secretRef?.name)
  assert.ok(refs.includes(configMap.metadata.name) && refs.includes(secret.metadata.name))
  // the example configuration is one the gateway accepts
  const config = loadConfig({ ...configMap.data, ...secret.stringData })
  assert.equal(config.PORT, container.ports[0].containerPort)
})

test('Services, Ingress with WebSocket-friendly timeouts, HPA and PodDisruptionBudget', () => {
  const docs = loadK8s()
  const deployment = only(docs, 'Deployment')
  const podLabels = deployment.spec.template.metadata.labels as Record<string, string>
  const services = docs.filter((d) => d.kind === 'Service')
  assert.ok(services.length >= 1)
  for (const service of services) {
    for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) assert.equal(podLabels[k], v, `${service.metadata.name} selects the pods`)
    assert.equal(service.spec.ports[0].targetPort, 'http')
  }
  const serviceNames = new Set(services.map((s) => s.metadata.name))

  const main = only(docs, 'Ingress', 'fink-gateway')
  const annotations = main.metadata.annotations as Record<string, string>
  for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
    assert.ok(Number(annotations[`nginx.ingress.kubernetes.io/${key}`]) >= 3600, `${key} >= 3600 s: streams stay open`)
  }
  assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off')
  const rootPath = main.spec.rules[0].http.paths.find((p: Doc) => p.path === '/')
  assert.ok(rootPath !== undefined)
  for (const ingress of docs.filter((d) => d.kind === 'Ingress')) {
    for (const path of ingress.spec.rules[0].http.paths) assert.ok(serviceNames.has(path.backend.service.name), `${ingress.metadata.name} ${path.path}`)
  }
  const rest = only(docs, 'Ingress', 'fink-gateway-rest')
  assert.equal(rest.metadata.annotations['nginx.ingress.kubernetes.io/upstream-hash-by'], '$arg_group_id')
  assert.deepEqual(rest.spec.rules[0].http.paths.map((p: Doc) => p.path).sort(), ['/consume', '/poll'])

  const hpa = only(docs, 'HorizontalPodAutoscaler')
  assert.equal(hpa.apiVersion, 'autoscaling/v2')
  assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment')
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name)
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas)
  assert.ok(hpa.spec.metrics.length > 0)

  const pdb = only(docs, 'PodDisruptionBudget')
  assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels)

  const kustomization = only(docs, 'Kustomization')
  for (const file of kustomization.resources as string[]) assert.ok(existsSync(join(k8sDir, file)), file)
  assert.ok(!(kustomization.resources as string[]).includes('secret.example.yaml'), 'the example Secret is never applied')
})

test('docker-compose.yml validates and starts Kafka, its init, the gateway and the replay job in order', () => {
  const check = spawnSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], { cwd: root, encoding: 'utf8' })
  assert.equal(check.error, undefined, 'docker-compose must be installed (Debian package docker-compose)')
  assert.equal(check.status, 0, check.stderr)

  const [doc] = parseAllDocuments(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true })
  const compose = doc?.toJS({ maxAliasCount: 100 }) as Doc
  const services = compose.services as Record<string, Doc>
  assert.deepEqual(Object.keys(services).sort(), ['gateway', 'kafka', 'kafka-init', 'replay'])
  assert.match(services.kafka?.image, /^apache\/kafka:/)
  assert.ok(services.kafka?.healthcheck?.test !== undefined)
  assert.equal(services['kafka-init']?.depends_on?.kafka?.condition, 'service_healthy')
  for (const name of ['gateway', 'replay']) {
    const service = services[name] as Doc
    assert.equal(service.depends_on['kafka-init'].condition, 'service_completed_successfully')
    assert.equal(service.read_only, true, `${name}: read-only root filesystem`)
    assert.deepEqual(service.tmpfs, ['/tmp'])
    assert.equal(service.user, `${dockerfileUser()}:${dockerfileUser()}`)
    assert.equal(service.build?.dockerfile, 'Dockerfile')
  }
  assert.match(JSON.stringify(services.gateway?.healthcheck?.test), /\/readyz/)
  const gatewayConfig = loadConfig(services.gateway?.environment as Record<string, string>)
  assert.equal(gatewayConfig.KAFKA_BROKERS, 'kafka:9092')
  assert.ok((services.gateway?.ports as string[]).includes(`${gatewayConfig.PORT}:${gatewayConfig.PORT}`))
  const replay = services.replay?.command as string[]
  assert.deepEqual(replay.slice(0, 2), ['node', 'dist/scripts/replay.js'])
  assert.ok(existsSync(join(root, 'scripts', 'replay.ts')), 'dist/scripts/replay.js is compiled from scripts/replay.ts')
  assert.ok(replay.includes('data/alerts') && existsSync(join(root, 'data', 'alerts')))
  const config = readFileSync(join(root, 'docker', 'compose', 'kafka', 'server.properties'), 'utf8')
  assert.match(config, /^listeners=.*PLAINTEXT:\/\/0\.0\.0\.0:9092.*SASL_PLAINTEXT:\/\/0\.0\.0\.0:9093/m)
  assert.match(config, /^sasl\.enabled\.mechanisms=SCRAM-SHA-512$/m)
  assert.match(readFileSync(join(root, 'docker', 'compose', 'kafka-init.sh'), 'utf8'), /SCRAM-SHA-512=\[iterations=\d+,password=\$\{user\}-secret\]/)
})

test('the Grafana dashboard queries only metrics the gateway exports', async () => {
  const dashboard = JSON.parse(readFileSync(join(root, 'docker', 'grafana', 'fink-gateway-dashboard.json'), 'utf8')) as { panels: Doc[], uid: string }
  const exported = (await new GatewayMetrics().registry.getMetricsAsJSON()).flatMap((m) => {
    const name = m.name
    return String(m.type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]
  })
  const known = new Set(exported)
  const used = new Set<string>()
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      const names = (target.expr as string).match(/\bfink_gateway_[a-z0-9_]+/g) ?? []
      assert.ok(names.length > 0, `${String(panel.title)}: no fink_gateway_ metric`)
      for (const name of names) {
        assert.ok(known.has(name), `${String(panel.title)} queries ${name}, which the gateway does not export`)
        used.add(name)
      }
    }
  }
  for (const name of ['fink_gateway_sessions_open', 'fink_gateway_alerts_delivered_total', 'fink_gateway_consumer_lag',
    'fink_gateway_slow_client_closes_total', 'fink_gateway_http_request_duration_seconds_bucket', 'fink_gateway_nodejs_eventloop_lag_p99_seconds']) {
    assert.ok(used.has(name), `the dashboard shows ${name}`)
  }
  const ids = dashboard.panels.map((p) => p.id)
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique')
})
