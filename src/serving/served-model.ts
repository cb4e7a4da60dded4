/**
 * The model a followed URI serves now. Predictions take a lease on the current version
 * (`acquire()`); a swap is atomic: requests holding a lease finish on the old version,
 * which is disposed once the last lease is released.
 */
import type { Lease, LoadedVersion } from './loaded-version.js';

export class ServedModel {
  private version: LoadedVersion | null = null;

  constructor(readonly name: string) {}

  /** A lease on the version served now, or null before the first load (or after close). */
  acquire(): Lease | null {
    return this.version === null ? null : this.version.lease();
  }

  /** The version served now, to describe it (metadata, logs); predictions take a lease instead. */
  current(): LoadedVersion | null {
    return this.version;
  }

  /** Serves `next` from now on; resolves once the previous version's leases are released and it is disposed. */
  async swap(next: LoadedVersion): Promise<void> {
    const previous = this.version;
    this.version = next;
    if (previous !== null && previous !== next) await previous.retire();
  }

  async close(): Promise<void> {
    const previous = this.version;
    this.version = null;
    if (previous !== null) await previous.retire();
  }
}
