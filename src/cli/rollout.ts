/**
 * `flowgate rollout status|pause|resume|abort ENDPOINT`: asks a running flowgate (its
 * /admin/rollouts API) and prints the answer as JSON. Commands are written to the
 * registry by that server, so every replica obeys, whichever one is asked.
 */
export interface RolloutArgs {
  verb: string | undefined;
  endpoint: string | undefined;
  url: string | undefined;
}

const VERBS = ['status', 'pause', 'resume', 'abort'];

export async function runRollout(args: RolloutArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.verb === undefined || !VERBS.includes(args.verb) || args.endpoint === undefined) {
    process.stderr.write(`flowgate rollout: give a command (${VERBS.join(', ')}) and an endpoint, e.g. \`flowgate rollout status iris\`\n`);
    return 2;
  }
  const base = (args.url ?? env.FLOWGATE_URL ?? 'http://127.0.0.1:5000').replace(/\/+$/, '');
  const path = `/admin/rollouts/${encodeURIComponent(args.endpoint)}`;
  let res: Response;
  try {
    res = await fetch(args.verb === 'status' ? base + path : `${base}${path}/${args.verb}`, {
      method: args.verb === 'status' ? 'GET' : 'POST',
      headers: env.FLOWGATE_TOKEN ? { Authorization: `Bearer ${env.FLOWGATE_TOKEN}` } : {},
    });
  } catch (err) {
    process.stderr.write(`flowgate rollout: cannot reach flowgate at ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: print as is
    }
    process.stderr.write(`flowgate rollout: ${message}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  return 0;
}
