/**
 * Preloaded with `node --import` (NODE_OPTIONS) into a child process: records every module
 * the main thread loads (ES modules through a loader hook, CommonJS through Module._load)
 * and writes their paths to $FLOWGATE_MODULE_TRACE when the process exits.
 */
import Module, { register } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, MessageChannel } from 'node:worker_threads';

const out = process.env.FLOWGATE_MODULE_TRACE;
if (isMainThread && out) {
  const loaded = new Set();
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const exported = load.apply(this, arguments);
    try {
      loaded.add(Module._resolveFilename(request, parent, isMain));
    } catch {
      // a builtin: nothing to record
    }
    return exported;
  };
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => loaded.add(url.startsWith('file:') ? fileURLToPath(url) : url));
  port1.unref();
  const hook = 'let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
  register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { port: port2 }, transferList: [port2] });
  process.on('exit', () => writeFileSync(out, [...loaded].join('\n')));
}
