/** Switch Over (no phase yet) and Check Switchover (its phase). Work in switchover.ts. */
import { lookAgainWhenThrottled } from '../shared/phase';
import { checkSwitchover, startSwitchover } from './switchover';
import type { ReplaceTaskInput, SwitchoverPhase } from './types';

type SwitchoverEvent = ReplaceTaskInput & { readonly deploymentId: string; readonly phase?: SwitchoverPhase };

const check = lookAgainWhenThrottled(checkSwitchover, (event: SwitchoverEvent) => event.plan.polling);

export const handler = async (event: SwitchoverEvent): Promise<SwitchoverPhase> => (event.phase ? check(event) : startSwitchover(event));
