/**
 * The live dashboard: GET /ui (the page), /ui/assets/uplot.{js,css} (uPlot, from the
 * installed package), GET /ui/events (Server-Sent Events from the Dashboard).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Dashboard } from '../ui/dashboard.js';
import type { AppEnv } from './context.js';
import { PAGE } from '../ui/page.js';

const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));
const asset = (file: string) => readFileSync(join(uplotDir, file), 'utf8');

export function uiRoutes(app: Hono<AppEnv>, dashboard: Dashboard): void {
  const script = asset('uPlot.iife.min.js');
  const style = asset('uPlot.min.css');
  app.get('/ui', (c) => c.html(PAGE));
  app.get('/ui/assets/uplot.js', (c) => c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' }));
  app.get('/ui/assets/uplot.css', (c) => c.body(style, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=3600' }));
  app.get('/ui/events', (c) =>
    streamSSE(c, async (stream) => {
      let finish = () => {};
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const unsubscribe = dashboard.subscribe((event, data) => {
        if (event === 'close') finish();
        else void stream.writeSSE({ event, data });
      });
      stream.onAbort(finish);
      await finished;
      unsubscribe();
    }),
  );
}
