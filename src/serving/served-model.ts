/**
 * The model an endpoint serves now. A swap is atomic: a request holds the version it
 * started on, so requests in flight finish on the old version, which is released once
 * they have drained.
 */
import type { ModelVersion } from './model-version.js';

export class ServedModel {
  private version: ModelVersion | null = null;

  constructor(readonly name: string) {}

  current(): ModelVersion | null {
    return this.version;
  }

  /** Serves `next` from now on; resolves once the previous version has drained and been released. */
  async swap(next: ModelVersion): Promise<void> {
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
