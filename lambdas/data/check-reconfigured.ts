/** Check Reconfigure: polls the reconfigure document on a batch and records the database each host uses. */
import { checkReconfigured } from './reconfigure-hosts';
import type { BatchTaskInput, PhaseState } from '../deploy/types';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => checkReconfigured(event);
