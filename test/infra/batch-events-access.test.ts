/**
 * The per-batch progress events in the stack (lib/fleetflow.ts `grantBatchEvents`): the batch
 * tasks that put them may put them on the environment's bus, with their own source, and nowhere
 * else; no other role may put them; the rule that forwards notifications to the topic does not
 * forward them (too chatty for mail).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_EVENT_DETAIL_TYPE, BATCH_EVENT_SOURCE, EVENT_BUS_ENV } from '../../lambdas/domain/contract/batch-events';
import { NOTIFICATION_SOURCE } from '../../statemachines/constructs/notify';
import { evaluate } from './iam-evaluator';
import { expectedArn, lambdaByHandler, lambdaFunctions, roleStatements, sharedCanonical, type CfnTemplate } from './support';

const DEFAULT_BUS = expectedArn('events', 'event-bus/default');
const EMITTING = ['rollout/take-out-of-traffic.ts', 'rollout/check-install.ts', 'rollout/check-healthy.ts'];
const put = (resource: string, source: string) => ({ action: 'events:PutEvents', resource, context: { 'events:source': source } });

/** An EventBridge pattern's match, for the shapes the notifications rule uses: exact values at each key, nested. */
function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, wanted]) => {
    const value = event[key];
    if (Array.isArray(wanted)) return wanted.includes(value);
    return typeof wanted === 'object' && wanted !== null && typeof value === 'object' && value !== null && matches(wanted as Record<string, unknown>, value as Record<string, unknown>);
  });
}

describe('batch progress events in the canonical stack', () => {
  let json: CfnTemplate;
  beforeAll(() => {
    json = sharedCanonical().json;
  });

  it.each(EMITTING)('lets %s put them on the default bus, with their source only, and names the bus in its environment', (handler) => {
    // Prepare
    const fn = lambdaByHandler(json, handler);
    const statements = roleStatements(json, fn.roleLogicalId);

    // Assess
    expect(evaluate(statements, put(DEFAULT_BUS, BATCH_EVENT_SOURCE))).toBe('allowed');
    // Another bus, or the notifications' source (a forged "Release Failed" mail): refused.
    expect(evaluate(statements, put(expectedArn('events', 'event-bus/other'), BATCH_EVENT_SOURCE))).toBe('implicitly denied');
    expect(evaluate(statements, put(DEFAULT_BUS, NOTIFICATION_SOURCE))).toBe('implicitly denied');
    expect((fn.properties.Environment as { Variables: Record<string, unknown> }).Variables[EVENT_BUS_ENV]).toBe('default');
  });

  it('lets no other function of the stack put them', () => {
    // Act: every function's role. (The state machines' roles put the notifications through CDK's
    // EventBridgePutEvents task, whose grant has no source condition: they are not functions.)
    const emitting = new Set(EMITTING.map((h) => lambdaByHandler(json, h).roleLogicalId));
    const functionRoles = new Set(lambdaFunctions(json).map((f) => f.roleLogicalId));
    const others = [...functionRoles].filter((role) => !emitting.has(role) && evaluate(roleStatements(json, role), put(DEFAULT_BUS, BATCH_EVENT_SOURCE)) === 'allowed');

    // Assess
    expect(functionRoles.size).toBeGreaterThan(EMITTING.length);
    expect(others).toEqual([]);
  });

  it('is not forwarded to the topic by the notifications rule, which still forwards the notifications', () => {
    // Prepare
    const rules = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    const pattern = rules.map((r) => r.Properties?.EventPattern as Record<string, unknown>).find((p) => JSON.stringify(p).includes(NOTIFICATION_SOURCE))!;
    const detail = { environment: 'canonical', execution: 'x', tier: 'web', batch: 1, batchCount: 2, phase: 'returned' };

    // Assess
    expect(matches(pattern, { source: BATCH_EVENT_SOURCE, 'detail-type': BATCH_EVENT_DETAIL_TYPE, detail })).toBe(false);
    expect(matches(pattern, { source: NOTIFICATION_SOURCE, 'detail-type': 'FleetFlow Release Failed', detail: { environment: 'canonical', event: 'Failed' } })).toBe(true);
  });
});
