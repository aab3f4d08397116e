/** Restore Database: restores the data into a new DB instance; the work is in restore.ts, which Check Restore polls. */
import type { PhaseState, RestoreTaskInput } from '../domain/contract/payloads';
import { restoreDatabase } from './restore';

export const handler = async (event: RestoreTaskInput): Promise<PhaseState> => restoreDatabase(event);
