/** Check Reconfigure: polls the reconfigure document on a batch and records the database each host uses. */
import { checkReconfigured } from './reconfigure';
import type { BatchTaskInput } from '../domain/contract/payloads';
import { lookAgainWhenThrottled } from '../shared/phase';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(checkReconfigured, (event: BatchTaskInput) => event.tier.polling);
