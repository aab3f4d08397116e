/** Create Green (no phase yet) and Check Green (its phase): one function, so one role holds the blue/green deployment's create and describe. Work in green.ts. */
import { watchPhase, type WatchContext } from '../shared/phase';
import { checkGreen, createGreen } from './green';
import type { GreenPhase, ReplaceTaskInput } from './types';

const check = watchPhase(checkGreen, (event: ReplaceTaskInput & { phase?: GreenPhase }) => event.plan.polling);

export const handler = async (event: ReplaceTaskInput & { phase?: GreenPhase }, context?: WatchContext): Promise<GreenPhase> => (event.phase ? check(event, context) : createGreen(event));

/** How long one invocation watches (lambdas/shared/phase.ts); test/infra/lambda-timeouts.test.ts holds it under the function's timeout. */
export { TIME_BUDGET_MS } from '../shared/phase';
