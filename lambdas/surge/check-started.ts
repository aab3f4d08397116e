/**
 * Check Started: the batch's restarted hosts run and are online in Systems Manager (so the
 * health command and the next release can reach them). A host still stopped (it was
 * stopping when asked) is started now. Past the timeout: RollbackFailedError, naming them.
 */
import { StartInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { ec2 } from '../shared/aws/ec2';
import { ssm } from '../shared/aws/ssm';
import { RollbackFailedError } from '../domain/contract/errors';
import { ENDED_STATES, findInstancesById } from '../shared/instances';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

const MAX_INFORMATION_IDS = 50;

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkStarted, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkStarted(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const now = Date.now();
  const hosts = await findInstancesById(event.batch.hosts.map((h) => h.id));
  // Gone for good (terminated since the surge stopped it, or no longer listed): waiting cannot help.
  const stateOf = new Map(hosts.map((h) => [h.id, h.state]));
  const gone = event.batch.hosts.filter((h) => !stateOf.has(h.id) || ENDED_STATES.has(stateOf.get(h.id)!));
  if (gone.length > 0) {
    throw new RollbackFailedError(`tier ${event.tier.name}: ${describeHosts(gone)} terminated since the surge stopped them: they cannot be started again`);
  }
  const stopped = hosts.filter((h) => h.state === 'stopped').map((h) => h.id);
  if (stopped.length > 0) await ec2.send(new StartInstancesCommand({ InstanceIds: stopped.slice(0, 100) }));
  const running = hosts.filter((h) => h.state === 'running');
  const online = new Set<string>();
  for (let i = 0; i < running.length; i += MAX_INFORMATION_IDS) {
    const { InstanceInformationList = [] } = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: running.slice(i, i + MAX_INFORMATION_IDS).map((h) => h.id) }], MaxResults: MAX_INFORMATION_IDS }),
    );
    for (const info of InstanceInformationList) if (info.PingStatus === 'Online' && info.InstanceId) online.add(info.InstanceId);
  }
  const waiting = event.batch.hosts.filter((h) => !online.has(h.id));
  if (waiting.length === 0) return completePhase(phase, now);
  if (now < phase.deadline) return continuePhase(phase, event.tier.polling, now);
  throw new RollbackFailedError(`tier ${event.tier.name}: ${describeHosts(waiting)} not running and online again after being started; they are out of traffic`);
}
