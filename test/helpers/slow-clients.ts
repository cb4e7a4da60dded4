/**
 * Slow clients for the guard-rail tests and the soak: raw connections that trickle a
 * request a byte at a time, and the refusal counts the server exports for them.
 */
import { connect, type Socket } from 'node:net';
import { REFUSAL_REASONS, type RefusalReason } from '../../src/metrics.js';

export interface Trickler {
  socket: Socket;
  /** resolves once connected (or closed before) */
  connected: Promise<unknown>;
  /** resolves with how long the connection stayed open, once the server (or the test) closes it */
  closedAfterMs: Promise<number>;
}

/** A socket that sends `head`, then one byte of `trickle` every `everyMs`. */
export function trickler(port: number, head: string, trickle: string, everyMs = 500): Trickler {
  const socket = connect(port, '127.0.0.1');
  const start = Date.now();
  let i = 0;
  const timer = setInterval(() => socket.writable && socket.write(trickle[i++ % trickle.length]!), everyMs);
  const connected = new Promise((resolve) => socket.on('connect', resolve).on('close', resolve));
  socket.on('connect', () => socket.write(head));
  socket.on('error', () => undefined);
  socket.resume();
  const closedAfterMs = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - start);
    }),
  );
  return { socket, connected, closedAfterMs };
}

/** flowgate_requests_refused_total by reason, from the server's /metrics. */
export async function refusedCounts(url: string): Promise<Record<RefusalReason, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = {} as Record<RefusalReason, number>;
  for (const reason of REFUSAL_REASONS) {
    const match = new RegExp(`^flowgate_requests_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    if (match === null) throw new Error(`no flowgate_requests_refused_total for ${reason} in /metrics`);
    counts[reason] = Number(match[1]);
  }
  return counts;
}
