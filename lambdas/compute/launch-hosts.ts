/** Launch Hosts: launches a tier's hosts in launch groups (idempotent); the work is in launching.ts, shared with a surge's launches. */
import type { LaunchProgress, ProvisionTaskInput } from '../domain/contract/payloads';
import { launchHosts } from './launching';

/** The time this handler keeps for itself before it returns to be called again (test/infra/lambda-timeouts.test.ts holds it well below the function's timeout). */
export { TIME_BUDGET_MS } from './launching';

export const handler = async (event: ProvisionTaskInput): Promise<LaunchProgress> => launchHosts(event);
