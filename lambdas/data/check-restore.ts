/** Check Restore: polls the instance Restore Database asked for until it is available. */
import { checkRestore } from './restore-database';
import type { PhaseState } from '../deploy/types';
import type { RestoreTaskInput } from './types';

export const handler = async (event: RestoreTaskInput): Promise<PhaseState> => checkRestore(event);
