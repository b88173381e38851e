import { Hono, type Context } from 'hono';

import {
  RuleConflictError,
  RuleValidationError,
  type RuleService,
  type RuleView,
} from '../rules/index.js';
import { apiError } from './responses.js';

/**
 * Routes for the failure rules and the pause switch:
 *
 *   GET    /rules                    { rules: RuleView[] }
 *   POST   /rules                    RuleInput -> 201 RuleView; 409 when the id is taken
 *   POST   /rules/reset              sets every rule's counters to zero -> { rules }
 *   GET    /rules/:id                RuleView
 *   PUT    /rules/:id                RuleInput -> RuleView (replaces the rule in place)
 *   DELETE /rules/:id                204
 *   PUT    /rules/:id/enabled        { enabled: boolean } -> RuleView
 *   POST   /rules/:id/reset          sets the rule's counters to zero -> RuleView
 *   GET    /intake                   IntakeState
 *   PUT    /intake                   { paused: boolean, code?: 421 | 451 } -> IntakeState
 */
export function ruleRoutes(rules: RuleService): Hono {
  const routes = new Hono();

  routes.get('/rules', (c) => c.json({ rules: rules.list() }));

  routes.post('/rules', async (c) => {
    const body = await readJson(c);
    if (body instanceof Response) return body;
    return withRuleErrors(c, () => c.json(rules.create(body), 201));
  });

  routes.post('/rules/reset', (c) => {
    rules.resetCounters(null);
    return c.json({ rules: rules.list() });
  });

  routes.get('/rules/:id', (c) => {
    const rule = rules.get(c.req.param('id'));
    return rule === null ? notFound(c) : c.json(rule);
  });

  routes.put('/rules/:id', async (c) => {
    const body = await readJson(c);
    if (body instanceof Response) return body;
    return withRuleErrors(c, () => {
      const rule = rules.replace(c.req.param('id'), body);
      return rule === null ? notFound(c) : c.json(rule);
    });
  });

  routes.delete('/rules/:id', (c) =>
    rules.delete(c.req.param('id')) ? c.body(null, 204) : notFound(c),
  );

  routes.put('/rules/:id/enabled', async (c) => {
    const body = await readJson(c);
    if (body instanceof Response) return body;
    const enabled = (body as { enabled?: unknown } | null)?.enabled;
    if (typeof enabled !== 'boolean') {
      return apiError(
        c,
        400,
        'Invalid body: expected { "enabled": true } or { "enabled": false }.',
      );
    }
    const rule: RuleView | null = rules.setEnabled(c.req.param('id'), enabled);
    return rule === null ? notFound(c) : c.json(rule);
  });

  routes.post('/rules/:id/reset', (c) => {
    const id = c.req.param('id');
    return rules.resetCounters(id) ? c.json(rules.get(id)) : notFound(c);
  });

  routes.get('/intake', (c) => c.json(rules.intakeState()));

  routes.put('/intake', async (c) => {
    const body = await readJson(c);
    if (body instanceof Response) return body;
    const { paused, code } = (body ?? {}) as { paused?: unknown; code?: unknown };
    if (typeof paused !== 'boolean') {
      return apiError(
        c,
        400,
        'Invalid body: expected { "paused": true or false, "code": 421 or 451 }.',
      );
    }
    if (code !== undefined && code !== 421 && code !== 451) {
      return apiError(c, 400, `Invalid code ${JSON.stringify(code)}: expected 421 or 451.`);
    }
    return c.json(rules.setIntake(paused, code));
  });

  return routes;
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return (await c.req.json()) as unknown;
  } catch {
    return apiError(c, 400, 'Invalid body: expected a JSON object.');
  }
}

function notFound(c: Context): Response {
  return apiError(c, 404, `Rule ${c.req.param('id')} not found.`);
}

function withRuleErrors(c: Context, work: () => Response): Response {
  try {
    return work();
  } catch (error) {
    if (error instanceof RuleValidationError) return apiError(c, 400, error.message);
    if (error instanceof RuleConflictError) return apiError(c, 409, error.message);
    throw error;
  }
}
