/** Check Database Created: polls the instance Create Database asked for until it is available. */
import { checkDatabaseCreated, type DatabaseCreateInput } from './create-database';
import type { PhaseState } from '../deploy/types';

export const handler = async (event: DatabaseCreateInput): Promise<PhaseState> => checkDatabaseCreated(event);
