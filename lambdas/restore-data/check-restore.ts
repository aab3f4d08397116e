/** Check Restore: polls the instance Restore Database asked for until it is available. */
import { checkRestore } from './restore-database';
import type { RestoreTaskInput } from '../data/types';
import { lookAgainWhenThrottled } from '../shared/phase';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(checkRestore, (event: RestoreTaskInput) => event.plan.polling);
