/**
 * The stable hash behind sticky routing: FNV-1a (32 bit) over the UTF-8 bytes of a string,
 * finished with murmur3's fmix32 so that keys differing in their last byte still land far
 * apart. Pure integer arithmetic on the string's bytes: every replica, every Node version
 * and any other language computes the same value, so no state needs sharing.
 */

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function step(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME) >>> 0;
}

/** FNV-1a of `s` encoded as UTF-8, continuing from `state` (so a fixed prefix is hashed once). */
export function fnv1a(s: string, state: number = FNV_OFFSET): number {
  let h = state;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h = step(h, c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd; // a lone surrogate encodes as U+FFFD, as TextEncoder does
    }
    if (c < 0x800) {
      h = step(h, 0xc0 | (c >> 6));
    } else if (c < 0x10000) {
      h = step(h, 0xe0 | (c >> 12));
      h = step(h, 0x80 | ((c >> 6) & 0x3f));
    } else {
      h = step(h, 0xf0 | (c >> 18));
      h = step(h, 0x80 | ((c >> 12) & 0x3f));
      h = step(h, 0x80 | ((c >> 6) & 0x3f));
    }
    h = step(h, 0x80 | (c & 0x3f));
  }
  return h;
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash as a point strictly inside (0, 1). */
export function unitInterval(h: number): number {
  return (h + 0.5) / 4294967296;
}
