/**
 * Lingering close after a 413: the client is still sending the body we refused. Closing the
 * socket with its input unread makes the kernel answer with a reset, and a reset that
 * arrives before the client read our 413 throws the 413 away (the client sees ECONNRESET,
 * or EPIPE, and never learns why). So, as nginx does, after the response our side of the
 * connection is only ended (FIN), and the rest of the body is read and discarded, until the
 * client has sent it all, or LINGER_BYTES more bytes, or LINGER_MS, whichever comes first;
 * then the socket is closed. Nothing read is kept.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** At most this many bytes are read (and discarded) after the 413. */
export const LINGER_BYTES = 256 * 1024 * 1024;
/** At most this long after the 413. */
export const LINGER_MS = 10_000;
/** How often the bytes read are checked. */
const CHECK_MS = 100;

/**
 * Makes the connection of `incoming`, which is answered with `Connection: close`, linger
 * after the response instead of being closed once the response is written.
 */
export function lingerAfterResponse(incoming: IncomingMessage): void {
  const socket = incoming.socket as Socket & { destroySoon?: () => void };
  if (socket.destroyed) return;
  const start = Date.now();
  const startBytes = socket.bytesRead;
  const closeSoon = socket.destroySoon?.bind(socket) ?? (() => socket.end(() => socket.destroy()));
  let responded = false;
  let ended = false;
  // Node calls destroySoon once a `Connection: close` response is written: end our side only,
  // unless the whole body is in already.
  socket.destroySoon = () => {
    responded = true;
    if (ended) finish(closeSoon);
    else if (!socket.writableEnded) socket.end();
  };
  const onEnd = () => {
    ended = true;
    if (responded) finish(closeSoon);
  };
  const timer = setInterval(() => {
    if (Date.now() - start >= LINGER_MS) finish(() => socket.destroy());
    else if (socket.bytesRead - startBytes > LINGER_BYTES) finish(closeSoon);
  }, CHECK_MS);
  timer.unref();
  let finished = false;
  const finish = (close: () => void) => {
    if (finished) return;
    finished = true;
    clearInterval(timer);
    incoming.off('end', onEnd);
    close();
  };
  incoming.once('end', onEnd);
  socket.once('close', () => finish(() => undefined));
  // Read on, keeping nothing (the body reader paused the request when it crossed the limit).
  incoming.on('data', () => undefined);
  incoming.resume();
}
