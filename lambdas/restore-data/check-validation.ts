/** Check Data Validation: polls the check document Validate Data sent. */
import { checkValidation } from './validation';
import type { RestoreTaskInput, ValidationPhase } from '../domain/contract/payloads';
import { watchPhase } from '../shared/phase';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkValidation, (event: RestoreTaskInput & { phase?: ValidationPhase }) => event.plan.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';
