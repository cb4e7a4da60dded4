/**
 * Online feedback: POST /endpoints/{name}/feedback (MLflow-style errors) and
 * POST /v2/models/{name}/feedback (V2-style errors) take one item or a list of them,
 * `{"request_id": "...", "label": ...}` and/or `{"request_id": "...", "reward": 0.7}`, the
 * request id being the `x-request-id` the prediction's response carried. Each item is
 * scored against what that request's variant predicted; unknown or expired ids are counted
 * and reported per item, never failed. Per-variant online metrics are exported for Prometheus.
 */
import type { Context, Hono } from 'hono';
import { Counter, Gauge } from 'prom-client';
import { z } from 'zod';
import type { Endpoint } from '../endpoints/endpoint.js';
import type { FeedbackItem, FeedbackOutcome } from '../endpoints/feedback.js';
import type { Gateway } from '../endpoints/gateway.js';
import { windowBetween } from '../endpoints/variant-stats.js';
import { MlflowError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { BodyTooLarge, readBodyText } from './body.js';
import { renderMlflowError as mlflowErrorResponse } from './render.js';
import type { AppEnv } from './context.js';

const MAX_ITEMS = 10_000;

const item = z
  .strictObject({
    request_id: z.string({ error: 'must be a string: the x-request-id of the prediction' }).min(1, 'must not be empty'),
    label: z.unknown().optional(),
    reward: z.number({ error: 'must be a number' }).finite('must be a finite number').optional(),
  })
  .refine((i) => i.label !== undefined || i.reward !== undefined, 'must have a `label` or a `reward`');
/** The feedback body: validates requests and is published in /openapi.json. */
export const feedbackBodySchema = z.union([item, z.array(item).min(1, 'must not be empty').max(MAX_ITEMS, `must have at most ${MAX_ITEMS} items`)]);

type ErrorShape = (status: number, message: string) => Response;
const mlflowShape: ErrorShape = (status, message) => mlflowErrorResponse(new MlflowError(status === 404 ? 'ENDPOINT_NOT_FOUND' : 'BAD_REQUEST', message));
const v2Shape: ErrorShape = (status, message) => Response.json({ error: message }, { status });

export function feedbackRoutes(app: Hono<AppEnv>, gateway: Gateway, metrics: Metrics, maxBodyBytes: number): void {
  const registers = [metrics.registry];
  const items = new Counter({ name: 'flowgate_feedback_items_total', help: 'Feedback items by outcome: scored, unknown (id not remembered), unscored (label not comparable)', labelNames: ['endpoint', 'outcome'], registers });
  const online = (name: string, help: string, pick: (w: ReturnType<typeof windowBetween>) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['endpoint', 'variant'],
      registers,
      collect() {
        this.reset();
        for (const e of gateway.endpoints.list) {
          if (e.feedback === null) continue;
          for (const v of e.variants) {
            const value = pick(windowBetween(null, e.stats.snapshot(v.name)));
            if (value !== null) this.set({ endpoint: e.name, variant: v.name }, value);
          }
        }
      },
    });
  online('flowgate_feedback_accuracy', 'Share of labelled rows the variant predicted right (since start)', (w) => w.accuracy);
  online('flowgate_feedback_mae', 'Mean absolute error of the variant on labelled rows (since start)', (w) => w.mae);
  online('flowgate_feedback_mean_reward', 'Mean feedback reward of the variant (since start)', (w) => w.meanReward);

  const take = async (c: Context, endpoint: Endpoint | undefined, name: string, error: ErrorShape): Promise<Response> => {
    if (endpoint === undefined) return error(404, `No endpoint named '${name}' (endpoints: ${gateway.endpoints.list.map((e) => e.name).join(', ')}).`);
    const log = endpoint.feedback;
    if (log === null) return error(404, `Endpoint '${name}' does not take feedback: add \`feedback: {}\` to it in the endpoints file.`);
    let doc: unknown;
    try {
      doc = JSON.parse(await readBodyText(c, endpoint.maxBodyBytes ?? maxBodyBytes));
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        metrics.refuse('body_too_large');
        return error(413, err.message);
      }
      return error(400, `The body is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = feedbackBodySchema.safeParse(doc);
    if (!parsed.success) {
      return error(400, `Invalid feedback: ${parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ')}`);
    }
    const list: FeedbackItem[] = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
    const results: FeedbackOutcome[] = list.map((i) => log.apply(i, endpoint.stats));
    const count = (status: FeedbackOutcome['status']) => results.filter((r) => r.status === status).length;
    const totals = { scored: count('scored'), unknown: count('unknown'), unscored: count('unscored') };
    for (const [outcome, n] of Object.entries(totals)) if (n > 0) items.inc({ endpoint: endpoint.name, outcome }, n);
    endpoint.rebalance();
    return Response.json({ ...totals, results });
  };
  app.post('/endpoints/:name/feedback', (c) => take(c, gateway.endpoints.byName.get(c.req.param('name')), c.req.param('name'), mlflowShape));
  app.post('/v2/models/:name/feedback', (c) => take(c, gateway.endpoints.byName.get(c.req.param('name')), c.req.param('name'), v2Shape));
}
