/** Create Green (no phase yet) and Check Green (its phase): one function, so one role holds the blue/green deployment's create and describe. Work in green.ts. */
import { lookAgainWhenThrottled } from '../shared/phase';
import { checkGreen, createGreen } from './green';
import type { GreenPhase, ReplaceTaskInput } from './types';

const check = lookAgainWhenThrottled(checkGreen, (event: ReplaceTaskInput & { phase?: GreenPhase }) => event.plan.polling);

export const handler = async (event: ReplaceTaskInput & { phase?: GreenPhase }): Promise<GreenPhase> => (event.phase ? check(event) : createGreen(event));
