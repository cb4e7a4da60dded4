/**
 * Re-reading the endpoints file on SIGHUP and when it changes. A file that does not parse,
 * or whose models do not load, is rejected with every problem logged, and the endpoints
 * already served keep serving. The directory is watched rather than the file: editors
 * replace files by renaming, and Kubernetes swaps a ConfigMap's `..data` symlink, and
 * both leave a watch on the file itself looking at the old inode.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { ConfigFileError, formatProblem, parseConfigText, readConfigText } from './config-file.js';
import { GatewayLoadError, type Gateway } from './gateway.js';

export type ReloadOutcome = 'applied' | 'unchanged' | 'rejected';

export interface ReloadResult {
  outcome: ReloadOutcome;
  /** why a file was rejected */
  problems?: string[];
}

/** Changes closer together than this are read once. */
const DEBOUNCE_MS = 100;

export class ConfigReloader {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** the text last read, applied or not: a watch event on an unchanged file is not news */
  private seenText: string;

  constructor(
    readonly file: string,
    /** the text of the file the gateway serves now */
    private appliedText: string,
    private readonly gateway: Gateway,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.seenText = appliedText;
  }

  /**
   * Re-reads the file and applies it when it differs from the one served (SIGHUP: a file
   * rejected before is tried again, its models may load now). Reloads run one at a time.
   */
  reload(): Promise<ReloadResult> {
    return this.enqueue(false);
  }

  private enqueue(onlyIfNew: boolean): Promise<ReloadResult> {
    const run = this.queue.then(() => this.reloadNow(onlyIfNew));
    this.queue = run.catch(() => undefined);
    return run;
  }

  watch(): void {
    if (this.watcher !== null) return;
    this.watcher = watch(dirname(this.file), { persistent: false }, () => {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.enqueue(true), DEBOUNCE_MS);
      this.timer.unref();
    });
    this.watcher.on('error', (err) => this.logger.warn({ err, file: this.file }, 'cannot watch the endpoints file; SIGHUP still reloads it'));
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private async reloadNow(onlyIfNew: boolean): Promise<ReloadResult> {
    let result: ReloadResult;
    try {
      const text = await readConfigText(this.file);
      const seen = this.seenText;
      this.seenText = text;
      if (text === this.appliedText || (onlyIfNew && text === seen)) return { outcome: 'unchanged' };
      await this.gateway.apply(parseConfigText(text, this.file));
      this.appliedText = text;
      this.logger.info({ file: this.file }, `applied the new ${this.file}`);
      result = { outcome: 'applied' };
    } catch (err) {
      const problems =
        err instanceof ConfigFileError ? err.problems.map((p) => formatProblem(err.file, p))
        : err instanceof GatewayLoadError ? err.failures.map((f) => `${f.where} (${f.uri}): ${f.error.message}`)
        : [(err as Error).message];
      this.logger.error({ file: this.file, problems }, `rejected the new ${this.file}; the endpoints already served keep serving:\n  ${problems.join('\n  ')}`);
      result = { outcome: 'rejected', problems };
    }
    this.metrics.configReloads.inc({ outcome: result.outcome });
    return result;
  }
}
