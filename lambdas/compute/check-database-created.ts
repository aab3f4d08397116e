/** Check Database Created: polls the instance Create Database asked for until it is available. */
import { checkDatabaseCreated, type DatabaseCreateInput } from './database-creation';
import { watchPhase } from '../shared/phase';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkDatabaseCreated, (event: DatabaseCreateInput) => event.database.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';
