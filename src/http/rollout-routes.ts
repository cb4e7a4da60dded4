/**
 * The rollout admin API `flowgate rollout` talks to: GET /admin/rollouts/{endpoint} (where
 * the rollout stands on this replica), POST /admin/rollouts/{endpoint}/{pause|resume|abort}
 * (written to the registry, so every replica obeys). Errors in MLflow's shape.
 */
import type { Hono } from 'hono';
import { MlflowError } from '../errors.js';
import type { RolloutController } from '../rollout/controller.js';
import { renderMlflowError as mlflowErrorResponse } from './render.js';
import type { AppEnv } from './context.js';

const VERBS = ['pause', 'resume', 'abort'] as const;

async function answer(run: () => Promise<unknown> | unknown): Promise<Response> {
  try {
    return Response.json(await run());
  } catch (err) {
    if (err instanceof MlflowError) return mlflowErrorResponse(err);
    throw err;
  }
}

export function rolloutRoutes(app: Hono<AppEnv>, rollouts: RolloutController): void {
  app.get('/admin/rollouts/:endpoint', (c) => answer(() => rollouts.view(c.req.param('endpoint'))));
  app.post('/admin/rollouts/:endpoint/:verb', (c) => {
    const verb = c.req.param('verb');
    const known = VERBS.find((v) => v === verb);
    if (known === undefined) {
      return mlflowErrorResponse(new MlflowError('ENDPOINT_NOT_FOUND', `No rollout command '${verb}' (commands: ${VERBS.join(', ')}).`));
    }
    return answer(() => rollouts.command(c.req.param('endpoint'), known));
  });
}
