/** Retire Hosts: tags replaced hosts as retired, then stops or terminates them; the work is in retiring.ts, with the timeout Check Retired polls to. */
import type { PhaseState } from '../domain/contract/payloads';
import { retireHosts, type RetireInput } from './retiring';

export const handler = async (event: RetireInput): Promise<PhaseState> => retireHosts(event);
