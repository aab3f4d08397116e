/** Launch Surge Hosts: a surge batch's new hosts (Launch Hosts, scoped to the batch). */
import type { BatchTaskInput } from '../domain/contract/payloads';
import { launchHosts } from '../compute/launch-hosts';
import { surgeProvision } from './surge-hosts';
import type { LaunchProgress } from '../compute/types';

export const handler = async (event: BatchTaskInput): Promise<LaunchProgress> => launchHosts(await surgeProvision(event));
