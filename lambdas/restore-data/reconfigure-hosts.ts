/** Reconfigure Hosts: sends the reconfigure document to a batch (repoint); the work is in reconfigure.ts, which Check Reconfigured polls. */
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';
import { reconfigureHosts } from './reconfigure';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => reconfigureHosts(event);
