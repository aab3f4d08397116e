/** Launch Surge Hosts: a surge batch's new hosts (Launch Hosts, scoped to the batch). */
import type { BatchTaskInput } from '../deploy/types';
import { launchHosts } from './launch-hosts';
import { surgeProvision } from './surge-hosts';
import type { LaunchProgress } from './types';

export const handler = async (event: BatchTaskInput): Promise<LaunchProgress> => launchHosts(await surgeProvision(event));
