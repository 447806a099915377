/**
 * The benchmark's webhook receiver: a bare node:http server in its own process (so it runs on the
 * other core), answering 200 with a tiny JSON body. The parent drives it over IPC:
 *   {type:'config', delayMs?, record?}  delayMs holds every answer (a slow endpoint);
 *                                       record parses bodies and keeps change-to-arrival latencies
 *   {type:'reset'}                      zeroes the counters
 *   {type:'stats', id}                  answers {type:'stats', id, count, firstMs, lastMs, latencies}
 * It announces {type:'ready', port} once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let delayMs = 0;
let record = false;
let count = 0;
let firstMs = 0;
let lastMs = 0;
let latencies: number[] = [];

const REPLY = '{"ok":true}';
const HEADERS = { 'content-type': 'application/json', 'content-length': String(REPLY.length) };

const server = createServer((req, res) => {
  // Arrival = the request's headers reached the receiver: the moment the webhook "is there".
  const at = Date.now();
  if (count === 0) firstMs = at;
  count++;
  lastMs = at;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => {
    if (record) chunks.push(c);
  });
  req.on('end', () => {
    if (record) {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp?: string };
        if (body.timestamp) latencies.push(at - Date.parse(body.timestamp));
      } catch {
        // Not a webhook body (the raw-ceiling client sends filler): nothing to record.
      }
    }
    const answer = () => {
      res.writeHead(200, HEADERS);
      res.end(REPLY);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
// Like a receiver behind a typical proxy: keep idle connections well beyond Node's 5 s default.
server.keepAliveTimeout = 65_000;

type Msg = { type: 'config'; delayMs?: number; record?: boolean } | { type: 'reset' } | { type: 'stats'; id: number };

process.on('message', (m: Msg) => {
  if (m.type === 'config') {
    delayMs = m.delayMs ?? delayMs;
    record = m.record ?? record;
  } else if (m.type === 'reset') {
    count = 0;
    firstMs = 0;
    lastMs = 0;
    latencies = [];
  } else if (m.type === 'stats') {
    process.send?.({ type: 'stats', id: m.id, count, firstMs, lastMs, latencies });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
