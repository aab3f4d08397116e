/** Switch Over (no phase yet) and Check Switchover (its phase). Work in switchover.ts. */
import { watchPhase, type WatchContext } from '../shared/phase';
import { checkSwitchover, startSwitchover } from './switchover';
import type { ReplaceTaskInput, SwitchoverPhase } from './types';

type SwitchoverEvent = ReplaceTaskInput & { readonly deploymentId: string; readonly phase?: SwitchoverPhase };

const check = watchPhase(checkSwitchover, (event: SwitchoverEvent) => event.plan.polling);

export const handler = async (event: SwitchoverEvent, context?: WatchContext): Promise<SwitchoverPhase> => (event.phase ? check(event, context) : startSwitchover(event));

/** How long one invocation watches (lambdas/shared/phase.ts); test/infra/lambda-timeouts.test.ts holds it under the function's timeout. */
export { TIME_BUDGET_MS } from '../shared/phase';
