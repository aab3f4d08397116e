/** Check Hosts Ready: polls new hosts until running, status checks ok and online in SSM; the check is in hosts-ready.ts, shared with a surge's. */
import type { ProvisionTaskInput } from '../domain/contract/payloads';
import { watchPhase } from '../shared/phase';
import { checkHostsReady, readyPhase } from './hosts-ready';

export const handler = watchPhase(checkHostsReady, (event: ProvisionTaskInput) => event.tier.spec.polling, readyPhase);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';
