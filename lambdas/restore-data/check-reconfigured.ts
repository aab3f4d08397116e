/** Check Reconfigure: polls the reconfigure document on a batch and records the database each host uses. */
import { checkReconfigured } from './reconfigure';
import type { BatchTaskInput } from '../domain/contract/payloads';
import { watchPhase } from '../shared/phase';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkReconfigured, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';
