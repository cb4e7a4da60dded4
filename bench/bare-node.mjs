#!/usr/bin/env node
/**
 * The ceiling for bench/http.bench.mjs: a bare node:http server that reads the body, JSON.parses it and
 * answers POST /invocations with a fixed JSON body (and GET /ping), with no framework at all.
 * Usage: node bench/bare-node.mjs PORT [RESPONSE_FILE]   (prints "listening PORT" when ready)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = process.argv[3]
  ? readFileSync(process.argv[3], 'utf8')
  : JSON.stringify({ predictions: { label: [0], probabilities: [[0.9815834, 0.018416734, 1.4506359e-8]] } });
const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('\n');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, headers).end(body);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
