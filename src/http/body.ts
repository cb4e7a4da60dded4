/**
 * Reads a request body as bytes or text, from the raw Node request: going through the web Request
 * would build a ReadableStream, an AbortSignal and a transferable per request, a large
 * share of the cost of a small prediction. A client that goes away mid-body is not a
 * server error: it is a ClientClosed, counted as such. A body past the size limit is a
 * BodyTooLarge: refused from its Content-Length before a byte is read, or as soon as a
 * chunked body crosses the limit; reading stops there, so nothing past the limit is held.
 */
import type { Context } from 'hono';
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
  return (await readBodyBytes(c, limitBytes)).toString('utf8');
}

export async function readBodyBytes(c: Context<AppEnv>, limitBytes: number): Promise<Buffer> {
  const incoming = c.env.incoming;
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) throw new BodyTooLarge(limitBytes, Number(declared));
  if (incoming.readableEnded) return Buffer.from(await c.req.arrayBuffer());
  const chunks = await new Promise<Buffer[]>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const settle = (outcome: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      incoming.pause(); // stop reading: the socket is closed once the 413 is written
      settle(() => reject(new BodyTooLarge(limitBytes, null)));
    };
    const onEnd = () => settle(() => resolve(chunks));
    const onError = (err: Error) =>
      settle(() => reject(incoming.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? new ClientClosed('the client closed the connection before sending the whole body', { cause: err }) : err));
    const onClose = () => settle(() => reject(new ClientClosed('the client closed the connection before sending the whole body')));
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
  if (!incoming.complete) throw new ClientClosed('the client closed the connection before sending the whole body');
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
