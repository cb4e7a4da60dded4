/**
 * Reads a request body as text. On @hono/node-server the raw Node request is read
 * directly: going through the web Request would build a ReadableStream, an AbortSignal
 * and a transferable per request, a large share of the cost of a small prediction.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export async function readBodyText(c: Context): Promise<string> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined || incoming.readableEnded) return c.req.text();
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
