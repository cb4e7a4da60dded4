/**
 * Reads a request body as text. On @hono/node-server the raw Node request is read
 * directly: going through the web Request would build a ReadableStream, an AbortSignal
 * and a transferable per request, a large share of the cost of a small prediction.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export async function readBodyText(c: Context): Promise<string> {
  return (await readBodyBytes(c)).toString('utf8');
}

/** The body as bytes (V2 requests may carry binary tensor data after their JSON). */
export async function readBodyBytes(c: Context): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined || incoming.readableEnded) return Buffer.from(await c.req.arrayBuffer());
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
