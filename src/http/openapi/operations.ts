import type { TagReference } from './types.js';

export const operationsReference: TagReference = {
  tag: { name: 'operations', description: 'TODO-TAG' },
  operations: {
    'GET /healthz': {
      summary: 'Liveness and database reachability',
      description: 'TODO-DESCRIBE',
      responses: { '200': { status: 'ok', database: 'sqlite' } },
    },
    'GET /readyz': {
      summary: 'Readiness: the database answers and the delivery thread runs (503 NOT_READY otherwise)',
      description: 'TODO-DESCRIBE',
      responses: { '200': { status: 'ready', database: 'sqlite', delivery: 'none' } },
    },
    'GET /metrics': {
      summary: 'Prometheus metrics',
      description: 'Bearer STOCKHOOK_METRICS_TOKEN, or the administrator token.',
      responses: {
        '200': '# HELP stockhook_attempt_duration_seconds Duration of webhook HTTP attempts\n# TYPE stockhook_attempt_duration_seconds histogram\nstockhook_attempt_duration_seconds_bucket{le="0.001",format="native",outcome="succeeded"} 0\nstockhook_attempt_duration_seconds_bucket{le="0.0025",format="native",outcome="succeeded"} 1\nstockhook_attempt_duration_seconds_bucket{le="0.005",format="native",outcome="succeeded"} 1\nstockhook_attempt_duration_seconds_bucket{le="0.01",format="native",outcome="succeeded"} 5\nstockhook_attempt_duration_seconds_bucket{le="0.025",format="native",outcome="succeeded"} 14\nstockhook_attempt_duration_seconds_bucket{le="0.05",format="native",outcome="succeeded"} 15\nstockhook_attempt_duration_seconds_bucket{le="0.1",format="native",outcome="succeeded"} 16\nstockhook_attempt_duration_seconds_bucket{le="0.25",format="native",outcome="succeeded"} 22\nstockhook_attempt_duration_seconds_bucket{le="0.5",format="native",outcome="succeeded"} 26\nstockhook_attempt_duration_seconds_bucket{le="1",format="native",outcome="succeeded"} 29\nstockhook_attempt_duration_seconds_bucket{le="2.5",format="native",outcome="succeeded"} 29\nstockhook_attempt_duration_seconds_bucket{le="5",format="native",outcome="succeeded"} 29\n',
      },
    },
  },
};
