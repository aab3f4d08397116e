/** Launch Hosts: launches a tier's hosts in launch groups (idempotent); the work is in launching.ts, shared with a surge's launches. */
import type { LaunchProgress, ProvisionTaskInput } from '../domain/contract/payloads';
import { launchHosts } from './launching';

export const handler = async (event: ProvisionTaskInput): Promise<LaunchProgress> => launchHosts(event);
