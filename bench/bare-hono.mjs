#!/usr/bin/env node
/**
 * The baseline for bench/http.bench.mjs: hono on @hono/node-server (the same stack flowgate serves
 * with) answering POST /invocations with a fixed JSON body after reading the request body, and GET /ping.
 * The request body is read from node's IncomingMessage, the cheapest way on this stack (flowgate does
 * the same; hono's c.req.text() goes through a web ReadableStream and costs more), so that this is the
 * ceiling of what any server on this stack can do on this machine.
 * Usage: node bench/bare-hono.mjs PORT [RESPONSE_FILE]   (prints "listening PORT" when ready)
 * RESPONSE_FILE: the body to answer with (the bench passes flowgate's own answer, so both send the
 * same bytes); default a one-row iris prediction.
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2] ?? 0);
const body = process.argv[3]
  ? readFileSync(process.argv[3], 'utf8')
  : JSON.stringify({ predictions: { label: [0], probabilities: [[0.9815834, 0.018416734, 1.4506359e-8]] } });

const app = new Hono();
app.get('/ping', (c) => c.body('\n', 200, { 'Content-Type': 'application/json' }));
app.post('/invocations', async (c) => {
  const chunks = [];
  for await (const chunk of c.env.incoming) chunks.push(chunk);
  Buffer.concat(chunks).toString('utf8');
  return c.body(body, 200, { 'Content-Type': 'application/json' });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
