/** Check Database Created: polls the instance Create Database asked for until it is available. */
import { checkDatabaseCreated, type DatabaseCreateInput } from './database-creation';
import { lookAgainWhenThrottled } from '../shared/phase';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(checkDatabaseCreated, (event: DatabaseCreateInput) => event.database.polling);
