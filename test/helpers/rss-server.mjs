// A flowgate server (from dist/: `npm run build` first) in a process of its own, run with
// --expose-gc, that reports its RSS: started with the serve flags as JSON in argv[2]; prints
// its URL; on stdin `baseline` (after GCs; starts tracking the peak) and `report` (after GCs
// and a settle): one JSON line { baseline, peak, after } in bytes.
import { createInterface } from 'node:readline';
import pino from 'pino';
import { serveConfig } from '../../dist/src/config.js';
import { startServer } from '../../dist/src/server.js';

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 300));
  }
};
const server = await startServer(serveConfig({ port: '0', pollInterval: '0', logLevel: 'silent', ...JSON.parse(process.argv[2]) }, {}), {}, pino({ level: 'silent' }));
let baseline = 0;
let peak = 0;
setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5).unref();
process.stdout.write(`${server.url}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  await settle();
  const rss = process.memoryUsage().rss;
  if (line === 'baseline') {
    baseline = peak = rss;
    process.stdout.write('ok\n');
  } else if (line === 'report') {
    process.stdout.write(`${JSON.stringify({ baseline, peak, after: rss })}\n`);
    await server.close();
    process.exit(0);
  }
}
