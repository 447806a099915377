import type { TagReference } from './types.js';

/** An excerpt of a real /metrics answer: one family of each kind. */
const METRICS = `# HELP stockhook_attempts_total Webhook HTTP attempts by outcome
# TYPE stockhook_attempts_total counter
stockhook_attempts_total{format="native",outcome="succeeded"} 29
# HELP stockhook_attempt_duration_seconds Duration of webhook HTTP attempts
# TYPE stockhook_attempt_duration_seconds histogram
stockhook_attempt_duration_seconds_bucket{le="0.25",format="native",outcome="succeeded"} 22
stockhook_attempt_duration_seconds_bucket{le="+Inf",format="native",outcome="succeeded"} 29
stockhook_attempt_duration_seconds_sum{format="native",outcome="succeeded"} 4.536359191999996
stockhook_attempt_duration_seconds_count{format="native",outcome="succeeded"} 29
# HELP stockhook_deliveries Deliveries by status
# TYPE stockhook_deliveries gauge
stockhook_deliveries{status="pending"} 0
stockhook_deliveries{status="succeeded"} 28
# HELP stockhook_queue_depth Pending deliveries that are due now
# TYPE stockhook_queue_depth gauge
stockhook_queue_depth 0
`;

export const operationsReference: TagReference = {
  tag: {
    name: 'operations',
    description:
      'For the operator and the monitoring around the server: a liveness check for the process manager, a readiness ' +
      'check for the load balancer, and Prometheus metrics. See docs/operations/ for deployment, logs and metrics.',
  },
  operations: {
    'GET /healthz': {
      summary: 'Liveness: the process runs and reaches its database',
      description:
        'No token needed. Answers 200 when a `select 1` on the database succeeds, naming the database kind ' +
        '(`sqlite` or `postgres`); a database that cannot be reached is a 5xx. Point a process manager or container ' +
        'health check here.',
      responses: { '200': { status: 'ok', database: 'postgres' } },
    },
    'GET /readyz': {
      summary: 'Readiness: the database answers and webhook delivery runs',
      description:
        'No token needed. 200 when the database answers and, in a process that delivers webhooks itself (role ' +
        '`all`), its delivery thread is running; otherwise 503 `NOT_READY`, whose message says what is wrong and ' +
        'what to check, with `details` (`database`: `ok` or `unreachable`, `delivery`, and the database `problem` in ' +
        'words). A delivery thread that exited is restarted, and the process becomes ready again by itself. Point a ' +
        'load balancer here.',
      responses: { '200': { status: 'ready', database: 'postgres', delivery: 'running' } },
    },
    'GET /metrics': {
      summary: 'Prometheus metrics',
      description:
        'The Prometheus text format: webhook attempts and their durations by format and outcome, deliveries by ' +
        'status, the queue of due deliveries and the age of the oldest, paused endpoints and circuit breakers, rows ' +
        'pruned by retention, the database size. Send `STOCKHOOK_METRICS_TOKEN` (give it to the scraper: it opens ' +
        'nothing else) or the administrator token as a bearer token; anything else is 401.',
      responses: { '200': METRICS },
    },
  },
};
