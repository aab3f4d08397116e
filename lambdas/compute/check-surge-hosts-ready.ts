/** Check Surge Hosts Ready: a surge batch's new hosts running, checked and online in SSM (Check Hosts Ready, scoped). */
import type { BatchTaskInput, PhaseState } from '../deploy/types';
import { checkHostsReady } from './check-hosts-ready';
import { surgeProvision } from './surge-hosts';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => checkHostsReady(await surgeProvision(event));
