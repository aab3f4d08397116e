/** Check Replica Lag: the green's ReplicaLag against the input's threshold. Work in replica-lag.ts. */
import { lookAgainWhenThrottled } from '../shared/phase';
import { checkReplicaLag } from './replica-lag';
import type { LagPhase, ReplaceTaskInput } from './types';

type LagEvent = ReplaceTaskInput & { readonly greenIdentifier: string; readonly phase?: LagPhase };

export const handler = lookAgainWhenThrottled(checkReplicaLag, (event: LagEvent) => event.plan.polling);
