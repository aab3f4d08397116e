/** Check Data Validation: polls the check document Validate Data sent. */
import { checkValidation } from './validation';
import type { RestoreTaskInput, ValidationPhase } from '../domain/contract/payloads';
import { lookAgainWhenThrottled } from '../shared/phase';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(checkValidation, (event: RestoreTaskInput & { phase?: ValidationPhase }) => event.plan.polling);
