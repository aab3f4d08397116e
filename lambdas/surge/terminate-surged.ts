/**
 * Terminate Surged Hosts: once a surge release is validated and recorded, the old hosts its
 * batches stopped are no longer a way back: they are terminated. Found by their retired
 * record (this execution, reason "surge"), so a host a rollback restored (its record removed)
 * is never touched. Safe to retry.
 *
 * Also the old hosts an earlier execution's surge stopped and never got to terminate (it was
 * stopped, or it failed and kept them): a release of the environment is now validated and
 * recorded, so they are no way back either, and nothing else would ever terminate them. Only
 * those of the environment's surge tiers (their host tags: another environment's deploy may
 * have the same execution name), only while they are stopped: one someone started again may
 * serve, so it is left alone and named in the log (one still stopping is not: the stop the surge asked for goes on). The lock is held here, so no other
 * execution of the environment is running that could still need them.
 *
 * And the new hosts such an execution's surge launched (their launch scope) and never set up:
 * without a release they never served (a new host is registered only once its install is
 * recorded: the leftover rule of lambdas/compute/leftovers.ts, by which Plan Release left them
 * out of the tiers), so nothing else would ever terminate them either. They are tagged retired
 * (why), then terminated, as Terminate Leftovers does for the compute workflows.
 *
 * Only the tiers of the component this execution released: a monitoring release's end never
 * terminates an application release's stopped old hosts. A restarted application release reads
 * them (lambdas/surge/replaced-hosts.ts), and it is that release, once validated, that ends them.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { InvalidInputError } from '../domain/contract/errors';
import { ec2 } from '../shared/aws/ec2';
import { LAUNCH_SCOPE_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../domain/contract/tags';
import { ENDED_STATES, findInstances, tagFilters, tagRetiredAndTerminate, type InstanceFacts } from '../shared/instances';
import { isLeftover, LEFTOVER_REASON } from '../compute/leftovers';
import { logger } from '../shared/logger';
import { describeHosts } from '../shared/polling';

const MAX_IDS_PER_CALL = 100;
/** An earlier surge's old host in these states serves nothing (stopping: its StopInstances goes on whatever became of the execution). */
const NOT_SERVING: ReadonlySet<string> = new Set(['stopping', 'stopped']);
/** The launch scope of a surge batch's new hosts: `surge#<tier>#<batch>` (lambdas/surge/surge-hosts.ts `surgeScope`). */
const SURGE_SCOPE = 'surge#';

/** A surge tier of the environment: the tags that select its hosts. */
export interface SurgeTierHosts {
  readonly name: string;
  /** The component the tier belongs to (lambdas/domain/environment/tiers.ts `componentOf`). Absent: every release's. */
  readonly component?: string;
  readonly hostTags: Record<string, string>;
}

export interface TerminateSurgedEvent {
  readonly execution: string;
  /** The environment's surge tiers, where an earlier execution's stopped old hosts are looked for. Absent: this execution's only. */
  readonly tiers?: readonly SurgeTierHosts[];
  /** The component this execution released: only its tiers are looked at. */
  readonly component?: string;
}

const COMPONENTS: ReadonlySet<string> = new Set(['application', 'monitoring']);

export const handler = async (event: TerminateSurgedEvent): Promise<{ terminated: number }> => {
  if (typeof event.execution !== 'string' || event.execution === '') throw new InvalidInputError('terminate surged hosts: execution must be a non-empty string');
  if (event.component !== undefined && !COMPONENTS.has(event.component)) {
    throw new InvalidInputError(`terminate surged hosts: component must be "application" or "monitoring" (received ${JSON.stringify(event.component)})`);
  }
  return terminateSurged(event.execution, tiersOf(event.tiers ?? [], event.component));
};

/** The surge tiers of the released component (all of them when the component is not given). */
export function tiersOf(tiers: readonly SurgeTierHosts[], component: string | undefined): SurgeTierHosts[] {
  return tiers.filter((t) => component === undefined || t.component === undefined || t.component === component);
}

export async function terminateSurged(execution: string, tiers: readonly SurgeTierHosts[] = []): Promise<{ terminated: number }> {
  const retired = await findInstances([
    { Name: `tag:${RETIRED_BY_TAG}`, Values: [execution] },
    { Name: `tag:${RETIRED_REASON_TAG}`, Values: [SURGE_REASON] },
  ]);
  const earlier: InstanceFacts[] = [];
  const running: InstanceFacts[] = [];
  const neverSetUp: InstanceFacts[] = [];
  for (const tier of tiers) {
    for (const host of await findInstances(tagFilters(tier.hostTags, ['pending', 'running', 'stopping', 'stopped']))) {
      if (host.tags.get(RETIRED_REASON_TAG) === SURGE_REASON && host.tags.get(RETIRED_BY_TAG) !== execution) (NOT_SERVING.has(host.state) ? earlier : running).push(host);
      else if (isLeftover(host, execution) && host.tags.get(LAUNCH_SCOPE_TAG)?.startsWith(SURGE_SCOPE)) neverSetUp.push(host);
    }
  }
  if (running.length > 0) {
    logger.warn('old hosts an earlier surge stopped are running again: left alone, they may serve', { hosts: describeHosts(running) });
  }
  // A stopped (EBS-backed) host can be terminated as a running one can, and again: TerminateInstances "is idempotent;
  // if you terminate an instance more than once, each call succeeds", and a failed call terminates none of its
  // instances (EC2 API reference, TerminateInstances), so a retry finds and sends the same hosts.
  const ids = [...new Set([...retired.filter((h) => !ENDED_STATES.has(h.state)), ...earlier].map((h) => h.id))];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_CALL) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(i, i + MAX_IDS_PER_CALL) }));
  if (earlier.length > 0) logger.info('terminated the old hosts an earlier surge stopped', { hosts: describeHosts(earlier) });
  if (neverSetUp.length > 0) {
    await tagRetiredAndTerminate(neverSetUp.map((h) => h.id), { execution, at: new Date(), reason: LEFTOVER_REASON });
    logger.info('terminated the new hosts an earlier surge launched and never set up', { hosts: describeHosts(neverSetUp) });
  }
  return { terminated: ids.length + neverSetUp.length };
}
