/**
 * Retire Hosts: a batch of replaced hosts, already out of traffic and drained, is stopped
 * (kept for inspection) or terminated, by the tier's `retire` policy. Why, when and by which
 * execution are tagged first, so a host found stopped is never a mystery, and a retired
 * host is never mistaken for one of the tier's (planners skip it). Safe to retry: a host
 * already stopping, stopped or terminated is not asked again.
 */
import { CreateTagsCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { RetireFailedError } from '../domain/contract/errors';
import { ec2 } from '../shared/aws/ec2';
import { RETIRED_AT_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG } from '../domain/contract/tags';
import { ENDED_STATES, findInstancesById } from '../shared/instances';
import { startPhase } from '../shared/phase';
import type { BatchTaskInput, HostRef, PhaseState } from '../domain/contract/payloads';

/** Stop/TerminateInstances: we send at most this many IDs per call (CreateTags takes 1,000). */
const MAX_IDS_PER_CALL = 100;
/** How long stopping or terminating may take before the batch fails. */
export const RETIRE_TIMEOUT_SECONDS = 600;

export interface RetireInput extends BatchTaskInput {
  readonly reason: string;
}

export async function retireHosts(event: RetireInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const action = tier.retire ?? 'stop';
  const ids = batch.hosts.map((h) => h.id);
  const hosts = await findInstancesById(ids);
  await tagAll(ids, [
    { Key: RETIRED_BY_TAG, Value: event.execution },
    { Key: RETIRED_AT_TAG, Value: new Date().toISOString() },
    { Key: RETIRED_REASON_TAG, Value: event.reason.slice(0, 255) },
  ]);
  // A retry (or a redrive) sends no second stop or terminate: "When you terminate an instance, it enters the
  // shutting-down state and then the terminated state" (EC2 User Guide, state change events), so a host
  // that got one is settled here. TerminateInstances is idempotent anyway ("if you terminate an instance more
  // than once, each call succeeds", EC2 API Reference), should a lost answer leave one unseen.
  const settled = action === 'stop' ? new Set(['stopping', 'stopped', ...ENDED_STATES]) : ENDED_STATES;
  const toAct = hosts.filter((h) => !settled.has(h.state)).map((h) => h.id);
  for (let i = 0; i < toAct.length; i += MAX_IDS_PER_CALL) {
    const chunk = toAct.slice(i, i + MAX_IDS_PER_CALL);
    try {
      await ec2.send(action === 'stop' ? new StopInstancesCommand({ InstanceIds: chunk }) : new TerminateInstancesCommand({ InstanceIds: chunk }));
    } catch (err) {
      throw protectionRefusal(err, tier.name, action, batch.hosts) ?? err;
    }
  }
  return startPhase(RETIRE_TIMEOUT_SECONDS, tier.polling, undefined, 20);
}

/** The instance attribute EC2's refusal names, and what it is called. */
const PROTECTIONS: Record<string, string> = { disableApiStop: 'stop protection', disableApiTermination: 'termination protection' };

/**
 * A stop or terminate EC2 refused for a protection (OperationNotPermitted) that the planners did not see
 * (lambdas/compute/retire-guards.ts): one turned on after the plan. "The instance '…' may not be stopped.
 * Modify its 'disableApiStop' instance attribute and try again." / "… may not be terminated. Modify its
 * 'disableApiTermination' instance attribute" (EC2 User Guide, Enable stop protection; Troubleshoot instance
 * termination). Named as a FleetFlow failure, with the host and the attribute, not left an unexpected one.
 */
export function protectionRefusal(err: unknown, tier: string, action: 'stop' | 'terminate', hosts: readonly HostRef[]): RetireFailedError | undefined {
  if ((err as Error | undefined)?.name !== 'OperationNotPermitted') return undefined;
  const said = /instance '([^']+)' may not be \w+\. Modify its '(\w+)' instance attribute/.exec((err as Error).message ?? '');
  const id = said?.[1];
  const attribute = said?.[2];
  const host = hosts.find((h) => h.id === id);
  const who = host ? (host.name === host.id ? host.id : `${host.name} (${host.id})`) : (id ?? 'a host of the batch');
  const what = attribute ? `its ${attribute} attribute (${PROTECTIONS[attribute] ?? 'a protection'}) is on` : 'a protection is on';
  return new RetireFailedError(
    `tier ${tier}: EC2 refused to ${action} ${who} (OperationNotPermitted): ${what}, set after the plan; ` +
      `turn it off (aws ec2 modify-instance-attribute --instance-id ${id ?? 'ID'} --no-${attribute ? attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) : 'disable-api-stop'}) before running again`,
    { cause: err },
  );
}

async function tagAll(ids: readonly string[], tags: Array<{ Key: string; Value: string }>): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) await ec2.send(new CreateTagsCommand({ Resources: ids.slice(i, i + 1000), Tags: tags }));
}
