/**
 * Bodies travel as Uint8Array (read from the socket, moved to and from replica threads);
 * Node's Buffer methods (UTF-8 decoding, slices as text) are had on a view of the same
 * bytes, never a copy. One place for that view.
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The bytes decoded as UTF-8. */
export function utf8(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('utf8');
}
