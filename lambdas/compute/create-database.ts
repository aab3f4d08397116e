/** Create Database: sends CreateDBInstance (or a restore of the newest snapshot) for the allocation's database; the work is in database-creation.ts, which Check Database Created polls. */
import type { PhaseState } from '../domain/contract/payloads';
import { createDatabase, type DatabaseCreateInput } from './database-creation';

export const handler = async (event: DatabaseCreateInput): Promise<PhaseState> => createDatabase(event);
