/** Launch Surge Hosts: a surge batch's new hosts (Launch Hosts, scoped to the batch). */
import type { BatchTaskInput, LaunchProgress } from '../domain/contract/payloads';
import { launchHosts } from '../compute/launching';
import { surgeProvision } from './surge-hosts';

export const handler = async (event: BatchTaskInput): Promise<LaunchProgress> => launchHosts(await surgeProvision(event));
