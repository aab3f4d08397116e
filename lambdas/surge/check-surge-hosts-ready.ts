/** Check Surge Hosts Ready: a surge batch's new hosts running, checked and online in SSM (Check Hosts Ready, scoped). */
import type { BatchTaskInput } from '../domain/contract/payloads';
import { checkHostsReady } from '../compute/hosts-ready';
import { surgeProvision } from './surge-hosts';
import { watchPhase } from '../shared/phase';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(async (event: BatchTaskInput) => checkHostsReady(await surgeProvision(event)), (event) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';
