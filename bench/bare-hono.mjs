#!/usr/bin/env node
/**
 * The baseline for bench/http.bench.mjs: hono on @hono/node-server (the same stack flowgate serves
 * with) answering POST /invocations with a fixed prediction after reading the body, and GET /ping.
 * It is the ceiling of what any server on this stack can do on this machine.
 * Usage: node bench/bare-hono.mjs PORT   (prints "listening PORT" when ready)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2] ?? 0);
const body = JSON.stringify({ predictions: { label: [0], probabilities: [[0.9815834, 0.018416734, 1.4506359e-8]] } });

const app = new Hono();
app.get('/ping', (c) => c.body('\n', 200, { 'Content-Type': 'application/json' }));
app.post('/invocations', async (c) => {
  await c.req.text();
  return c.body(body, 200, { 'Content-Type': 'application/json' });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
