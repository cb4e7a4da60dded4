/**
 * Reads a request body as text, from the raw Node request: going through the web Request
 * would build a ReadableStream, an AbortSignal and a transferable per request, a large
 * share of the cost of a small prediction. A client that goes away mid-body is not a
 * server error: it is a ClientClosed, counted as such.
 */
import type { Context } from 'hono';
import type { AppEnv } from './context.js';

export class ClientClosed extends Error {}

export async function readBodyText(c: Context<AppEnv>): Promise<string> {
  const incoming = c.env.incoming;
  if (incoming.readableEnded) return c.req.text();
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
  } catch (err) {
    if (incoming.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET') throw new ClientClosed('the client closed the connection before sending the whole body', { cause: err });
    throw err;
  }
  if (!incoming.complete) throw new ClientClosed('the client closed the connection before sending the whole body');
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
