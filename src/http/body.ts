/**
 * Reads a request body as bytes, from the raw Node request: going through the web Request
 * would build a ReadableStream, an AbortSignal and a transferable per request, a large
 * share of the cost of a small prediction. A client that goes away mid-body is not a
 * server error: it is a ClientClosed, counted as such. A body past the size limit is a
 * BodyTooLarge: refused from its Content-Length before a byte is read, or as soon as a
 * chunked body crosses the limit; reading stops there, so nothing past the limit is held.
 * The bytes are never turned into a string on the main thread unless a step there needs
 * it: a large body goes to a replica thread with its buffer transferred, not copied.
 */
import type { Context } from 'hono';
import { utf8 } from '../protocol/bytes.js';
import type { AppEnv } from './context.js';

export class ClientClosed extends Error {}

export class BodyTooLarge extends Error {
  constructor(readonly limitBytes: number, readonly declaredBytes: number | null) {
    super(
      declaredBytes !== null
        ? `The request body (${declaredBytes} bytes) is larger than the limit of ${limitBytes} bytes.`
        : `The request body is larger than the limit of ${limitBytes} bytes.`,
    );
  }
}

export async function readBodyText(c: Context<AppEnv>, limitBytes: number): Promise<string> {
  const bytes = await readBody(c, limitBytes);
  return utf8(bytes);
}

/** Sees every chunk of a body as it arrives (the shape limits are checked that way, a slice at a time). */
export interface ChunkScanner {
  feed(chunk: Uint8Array): void;
}

/**
 * The body's bytes, each chunk handed to `scanner` as it arrives. A body that comes in one
 * chunk is that chunk; a longer one with a Content-Length is copied into a buffer of its
 * own chunk by chunk as it arrives (no pass over the whole body at its end, and a buffer a
 * replica thread can take over); a chunked one is joined at its end.
 */
export async function readBody(c: Context<AppEnv>, limitBytes: number, scanner?: ChunkScanner): Promise<Uint8Array> {
  const incoming = c.env.incoming;
  const header = incoming.headers['content-length'];
  const declared = header === undefined ? null : Number(header);
  if (declared !== null && declared > limitBytes) throw new BodyTooLarge(limitBytes, declared);
  if (incoming.readableEnded) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    scanner?.feed(bytes);
    return bytes;
  }
  const body = await new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let into: Uint8Array | null = null;
    let seen = 0;
    const settle = (outcome: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      const at = seen;
      seen += chunk.length;
      if (seen > limitBytes) {
        incoming.pause(); // stop reading: the socket is closed once the 413 is written
        settle(() => reject(new BodyTooLarge(limitBytes, null)));
        return;
      }
      scanner?.feed(chunk);
      if (into === null && declared !== null && at === 0 && chunk.length < declared) into = new Uint8Array(declared);
      if (into === null) chunks.push(chunk);
      else if (seen <= into.length) into.set(chunk, at);
      else settle(() => reject(new Error(`the body is longer than its Content-Length (${declared} bytes)`))); // Node's parser never lets this happen
    };
    const onEnd = () => settle(() => resolve(joined()));
    const joined = (): Uint8Array => {
      if (into !== null) return seen === into.length ? into : into.subarray(0, seen);
      if (chunks.length === 1) return chunks[0]!;
      const bytes = new Uint8Array(seen);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      return bytes;
    };
    const onError = (err: Error) =>
      settle(() => reject(incoming.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? new ClientClosed('the client closed the connection before sending the whole body', { cause: err }) : err));
    const onClose = () => settle(() => reject(new ClientClosed('the client closed the connection before sending the whole body')));
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
  if (!incoming.complete) throw new ClientClosed('the client closed the connection before sending the whole body');
  return body;
}
