/**
 * The hono environment of flowgate's app: it runs on @hono/node-server (the Node request is
 * `c.env.incoming`), and what the routes hand to the access-log middleware is typed.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Answered } from '../serving/scorer.js';

export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    /** the response already carries x-request-id */
    requestIdSent: boolean;
    /** the variant and version that answered a prediction */
    answered: Answered | null;
  };
}
