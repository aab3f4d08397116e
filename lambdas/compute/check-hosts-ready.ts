/** Check Hosts Ready: polls new hosts until running, status checks ok and online in SSM; the check is in hosts-ready.ts, shared with a surge's. */
import type { ProvisionTaskInput } from '../domain/contract/payloads';
import { lookAgainWhenThrottled } from '../shared/phase';
import { checkHostsReady, readyPhase } from './hosts-ready';

export const handler = lookAgainWhenThrottled(checkHostsReady, (event: ProvisionTaskInput) => event.tier.spec.polling, readyPhase);
