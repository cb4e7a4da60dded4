/**
 * The Dockerfile, .dockerignore and container entrypoint, read statically (building and running the
 * image is test/deploy/container-smoke.sh, which needs podman and root).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage, continuation lines joined, comments dropped. */
function stages(): Instruction[][] {
  const text = readFileSync(join(repo, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const result: Instruction[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [keyword, ...rest] = trimmed.split(/\s+/);
    const instruction = { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

function args(stage: Instruction[], keyword: string): string[] {
  return stage.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** .dockerignore semantics for the patterns used here: in order, `!` re-includes, `*` is one path segment. */
function inContext(path: string): boolean {
  const rules = readFileSync(join(repo, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let included = true;
  for (const rule of rules) {
    const negated = rule.startsWith('!');
    const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (regex.test(path)) included = negated;
  }
  return included;
}

describe('Dockerfile', () => {
  const all = stages();
  const build = all[0]!;
  const runtime = all.at(-1)!;

  it('builds in one stage and runs from another', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(args(build, 'FROM')[0]).toMatch(/ AS build$/);
    expect(args(runtime, 'FROM')[0]).toMatch(/ AS runtime$/);
    const runs = args(build, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build\b/);
    expect(runs).toMatch(/npm prune --omit=dev\b/);
    // Only built output and production modules reach the runtime stage, not sources or dev tools.
    const fromBuild = args(runtime, 'COPY').filter((a) => a.startsWith('--from=build'));
    expect(fromBuild.map((a) => a.split(/\s+/)[1]).sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
  });

  it('runs as a non-root user, listens on 0.0.0.0:8080 and health-checks /health (not readiness: a slow first load is healthy)', () => {
    const user = args(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(args(runtime, 'EXPOSE')).toEqual(['8080']);
    const env = args(runtime, 'ENV').join(' ');
    expect(env).toContain('MLFLOW_HOST=0.0.0.0');
    expect(env).toContain('MLFLOW_PORT=8080');
    const healthcheck = args(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]).toContain('/health');
  });

  it('ships the example registry and has everything it copies in the build context', () => {
    const copies = all.flat().filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'));
    const sources = copies.flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(sources).toContain('examples/mlruns');
    for (const source of sources) {
      expect(existsSync(join(repo, source)), `${source} exists`).toBe(true);
      expect(inContext(source), `${source} is not excluded by .dockerignore`).toBe(true);
    }
    expect(inContext('node_modules/hono/package.json')).toBe(false);
    expect(inContext('dist/src/cli/main.js')).toBe(false);
    expect(inContext('.venv-ref/bin/python')).toBe(false);
  });
});

describe('container entrypoint (scripts/docker-entrypoint.sh)', () => {
  const script = join(repo, 'scripts', 'docker-entrypoint.sh');
  // A stand-in `node` on PATH that prints what it would run with.
  const bin = mkdtempSync(join(tmpdir(), 'flowgate-entrypoint-'));
  writeFileSync(
    join(bin, 'node'),
    '#!/bin/sh\necho "MODEL_URI=${MODEL_URI:-} MLFLOW_TRACKING_URI=${MLFLOW_TRACKING_URI:-} ARGS=$*"\n',
  );
  chmodSync(join(bin, 'node'), 0o755);
  const run = (env: Record<string, string>, ...argv: string[]) =>
    execFileSync(script, argv, { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, ...env } }).trim();

  it('is executable', () => {
    expect(statSync(script).mode & 0o111).not.toBe(0);
  });

  it('serves MODEL_URI when set, with the given tracking URI and extra arguments', () => {
    expect(run({ MODEL_URI: 'models:/fraud@champion', MLFLOW_TRACKING_URI: 'http://mlflow:5000' }, '-t', '30')).toBe(
      'MODEL_URI=models:/fraud@champion MLFLOW_TRACKING_URI=http://mlflow:5000 ARGS=/app/dist/src/cli/main.js serve -t 30',
    );
  });

  it.skipIf(existsSync('/opt/ml/model/MLmodel'))('serves the bundled example when nothing is given', () => {
    expect(run({})).toBe(
      'MODEL_URI=models:/iris/Production MLFLOW_TRACKING_URI=file:///app/examples/mlruns ARGS=/app/dist/src/cli/main.js serve',
    );
  });
});
