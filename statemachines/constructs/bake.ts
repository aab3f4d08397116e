/**
 * The bake: Start Bake -> [Wait For Bake -> Check Bake]* watches the validation alarms for
 * the bake period, a long operation (long-operation.ts) whose deadline is the bake period; each
 * look reads the alarms' history since the last (lambdas/deploy/check-bake.ts). In recovery
 * (after a revert) only the alarms' state at the end counts: one look, then.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { LongOperation } from './long-operation';

export function validationPayload(phasePath?: string): Record<string, unknown> {
  return { 'release.$': '$.plan.release', 'validation.$': '$.plan.validation', ...(phasePath ? { 'phase.$': phasePath } : {}) };
}

/**
 * The bake, as a long operation: `.next(state)` is where it goes once its period passed quietly; `.tasks` are its two looks.
 * `bakeSeconds` is the environment's (the plan's is the same definition's): a bake of some length never ends at its
 * start, which then goes straight to its Wait (LongOperation `neverDone`).
 */
export function bakeLoop(scope: Construct, prefix: string, checkBake: lambda.IFunction, bakeSeconds: number, recovering = false): LongOperation {
  const payload = (phasePath?: string) => ({ ...validationPayload(phasePath), ...(recovering ? { recovering: true } : {}) });
  return new LongOperation(scope, `${prefix}Bake`, {
    resultPath: '$.bake',
    start: { name: `${prefix}Start Bake`, handler: checkBake, payload: payload(), options: { idempotent: true }, neverDone: bakeSeconds > 0 },
    check: { name: `${prefix}Check Bake`, handler: checkBake, payload: payload('$.bake') },
    choice: `${prefix}Bake Done?`,
    wait: `${prefix}Wait For Bake`,
  });
}
