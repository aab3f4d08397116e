/** Check Green Database: sends the check document (no phase yet), then polls it. Work in green-check.ts. */
import { watchPhase, type WatchContext } from '../shared/phase';
import { checkGreenCheck, startGreenCheck } from './green-check';
import type { GreenCheckPhase, ReplaceTaskInput } from './types';

type CheckEvent = ReplaceTaskInput & { readonly greenIdentifier: string; readonly greenEndpoint: string; readonly phase?: GreenCheckPhase };

const poll = watchPhase(checkGreenCheck, (event: CheckEvent) => event.plan.polling);

export const handler = async (event: CheckEvent, context?: WatchContext): Promise<GreenCheckPhase> => (event.phase ? poll(event, context) : startGreenCheck(event));

/** How long one invocation watches (lambdas/shared/phase.ts); test/infra/lambda-timeouts.test.ts holds it under the function's timeout. */
export { TIME_BUDGET_MS } from '../shared/phase';
