import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * All of the gateway's Prometheus metrics, in a registry of their own so that several apps
 * in one process (tests) never collide. Labels are bounded by design: transport, topic and
 * status code only, never a session id, group id, user or offset (strimzi bridge#1049).
 */
export class GatewayMetrics {
  readonly registry = new Registry()

  readonly sessionsOpen = new Gauge({
    name: 'fink_gateway_sessions_open',
    help: 'Client sessions (one Kafka consumer each) open now, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry]
  })

  readonly sessionsOpenedTotal = new Counter({
    name: 'fink_gateway_sessions_opened_total',
    help: 'Client sessions opened since start, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry]
  })

  readonly alertsDeliveredTotal = new Counter({
    name: 'fink_gateway_alerts_delivered_total',
    help: 'Alerts written to clients, by transport and topic',
    labelNames: ['transport', 'topic'] as const,
    registers: [this.registry]
  })

  readonly alertsFilteredTotal = new Counter({
    name: 'fink_gateway_alerts_filtered_total',
    help: 'Alerts read from Kafka but not sent because the client filter rejected them, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry]
  })

  readonly bytesSentTotal = new Counter({
    name: 'fink_gateway_bytes_sent_total',
    help: 'Bytes of alert payload written to clients, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry]
  })

  readonly decodeErrorsTotal = new Counter({
    name: 'fink_gateway_decode_errors_total',
    help: 'Kafka messages that could not be decoded, by topic and error code',
    labelNames: ['topic', 'code'] as const,
    registers: [this.registry]
  })

  readonly commitErrorsTotal = new Counter({
    name: 'fink_gateway_commit_errors_total',
    help: 'Offset commits that failed',
    registers: [this.registry]
  })

  readonly commitsTotal = new Counter({
    name: 'fink_gateway_commits_total',
    help: 'Offset commits that succeeded',
    registers: [this.registry]
  })

  readonly requestDuration = new Histogram({
    name: 'fink_gateway_http_request_duration_seconds',
    help: 'HTTP request duration, by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry]
  })

  readonly consumerLag = new Gauge({
    name: 'fink_gateway_consumer_lag',
    help: 'Largest lag (messages behind the high watermark) among the open sessions, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry]
  })

  readonly backpressurePausesTotal = new Counter({
    name: 'fink_gateway_backpressure_pauses_total',
    help: 'Times a stream stopped reading from Kafka because its client was not keeping up, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry]
  })

  readonly slowClientClosesTotal = new Counter({
    name: 'fink_gateway_slow_client_closes_total',
    help: 'Streams closed because the client stayed stalled past the bound, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry]
  })

  readonly rejectedTotal = new Counter({
    name: 'fink_gateway_rejected_total',
    help: 'Requests refused before any Kafka work, by reason (error code)',
    labelNames: ['code'] as const,
    registers: [this.registry]
  })

  constructor () {
    // Node's process metrics, event-loop delay (nodejs_eventloop_lag_*) included, under the
    // gateway's prefix so that one dashboard query covers the whole process.
    collectDefaultMetrics({ register: this.registry, prefix: 'fink_gateway_', eventLoopMonitoringPrecision: 20 })
  }
}
