/** Check Restore: polls the instance Restore Database asked for until it is available. */
import { checkRestore } from './restore';
import type { RestoreTaskInput } from '../domain/contract/payloads';
import { lookAgainWhenThrottled } from '../shared/phase';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(checkRestore, (event: RestoreTaskInput) => event.plan.polling);
