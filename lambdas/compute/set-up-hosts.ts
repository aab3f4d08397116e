/** Set Up Hosts: sends a setup step (a prerequisite, the probe) to new hosts; the work is in setup.ts, with what Check Set Up reads back. */
import { setUpHosts, type SetupPhase, type SetupTaskInput } from './setup';

export const handler = async (event: SetupTaskInput): Promise<SetupPhase> => setUpHosts(event);
