/**
 * Any XGBoost model file → a compiled booster. Like XGBoost's own loader, the format is told
 * by content, not by extension: `{` then `"` is JSON, `{` then a UBJSON type marker is UBJSON,
 * anything else the legacy binary format. Also the entry point for raw booster bytes found
 * inside pickles (the sklearn flavor).
 */
import { compileBooster, type BoosterParts, type XgbBooster } from './booster.js';
import { partsFromDocument } from './document.js';
import { parseJsonAllowingNonFinite } from './json.js';
import { partsFromLegacyBinary } from './legacy-binary.js';
import { decodeUbjson } from './ubjson.js';

export type XgbFormat = 'json' | 'ubj' | 'xgb';

export function detectFormat(bytes: Uint8Array): XgbFormat {
  let i = 0;
  if (bytes[0] === 0x62 && bytes[1] === 0x69 && bytes[2] === 0x6e && bytes[3] === 0x66) return 'xgb'; // "binf"
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== 0x7b) return 'xgb'; // "{"
  i++;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  return bytes[i] === 0x22 || bytes[i] === 0x7d ? 'json' : 'ubj'; // '"' or '}'
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function boosterPartsFromBytes(bytes: Uint8Array): BoosterParts {
  switch (detectFormat(bytes)) {
    case 'json':
      return partsFromDocument(parseJsonAllowingNonFinite(new TextDecoder().decode(bytes)));
    case 'ubj':
      return partsFromDocument(decodeUbjson(bytes));
    case 'xgb':
      return partsFromLegacyBinary(bytes);
  }
}

/** Parses and compiles an XGBoost model in any of its formats; throws a plain Error naming the problem. */
export function parseXgboostModel(bytes: Uint8Array): XgbBooster {
  return compileBooster(boosterPartsFromBytes(bytes));
}
