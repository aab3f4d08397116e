/** Check Replica Lag: the green's ReplicaLag against the input's threshold. Work in replica-lag.ts. */
import { watchPhase } from '../shared/phase';
import { checkReplicaLag } from './replica-lag';
import type { LagPhase, ReplaceTaskInput } from './types';

type LagEvent = ReplaceTaskInput & { readonly greenIdentifier: string; readonly phase?: LagPhase };

export const handler = watchPhase(checkReplicaLag, (event: LagEvent) => event.plan.polling);

/** How long one invocation watches (lambdas/shared/phase.ts); test/infra/lambda-timeouts.test.ts holds it under the function's timeout. */
export { TIME_BUDGET_MS } from '../shared/phase';
