/** Check Restore: polls the instance Restore Database asked for until it is available. */
import { checkRestore } from './restore';
import type { RestoreTaskInput } from '../domain/contract/payloads';
import { watchPhase } from '../shared/phase';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkRestore, (event: RestoreTaskInput) => event.plan.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';
