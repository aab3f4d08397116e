/** Check Surge Hosts Ready: a surge batch's new hosts running, checked and online in SSM (Check Hosts Ready, scoped). */
import type { BatchTaskInput } from '../domain/contract/payloads';
import { checkHostsReady } from '../compute/hosts-ready';
import { surgeProvision } from './surge-hosts';
import { lookAgainWhenThrottled } from '../shared/phase';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(async (event: BatchTaskInput) => checkHostsReady(await surgeProvision(event)), (event) => event.tier.polling);
