/** Check Green Database: sends the check document (no phase yet), then polls it. Work in green-check.ts. */
import { lookAgainWhenThrottled } from '../shared/phase';
import { checkGreenCheck, startGreenCheck } from './green-check';
import type { GreenCheckPhase, ReplaceTaskInput } from './types';

type CheckEvent = ReplaceTaskInput & { readonly greenIdentifier: string; readonly greenEndpoint: string; readonly phase?: GreenCheckPhase };

const poll = lookAgainWhenThrottled(checkGreenCheck, (event: CheckEvent) => event.plan.polling);

export const handler = async (event: CheckEvent): Promise<GreenCheckPhase> => (event.phase ? poll(event) : startGreenCheck(event));
