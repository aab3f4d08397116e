/** Install Release: sends the install document to a batch; the work is in install.ts, with the release each host must end on, which Check Install reads. */
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';
import { installRelease } from './install';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => installRelease(event);
