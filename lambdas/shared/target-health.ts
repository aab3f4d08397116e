/**
 * ELBv2 target membership and health for a set of instances across target groups.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type TargetHealthDescription,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2 } from './aws/elbv2';
import { describeHosts } from './polling';
import type { HostRef } from '../domain/contract/payloads';

/**
 * ELBv2 documents no per-call cap on Targets; we send at most this many per call so a
 * very large batch never builds an oversized request.
 */
export const MAX_TARGETS_PER_CALL = 100;

/**
 * A target's state as FleetFlow reads it: ELB's state, except
 * - `unregistered`: `unused` with reason Target.NotRegistered (left the group);
 * - `stopped-or-terminated`: `unused` with reason Target.InvalidState, "The target is in
 *   the stopped or terminated state", while still registered;
 * - `invalid-target`: DescribeTargetHealth answered InvalidTarget for it, "The specified
 *   target does not exist, is not in the same VPC as the target group, or has an
 *   unsupported instance type": for a host the plan found registered, it is gone
 *   (terminated). Neither healthy nor draining: callers fail the batch naming it.
 */
export type TargetState = TargetHealthStateEnum | 'unregistered' | 'stopped-or-terminated' | 'invalid-target';

/** States in which the host will never come back on its own: the batch fails at once, naming it. */
export const GONE_STATES: ReadonlySet<TargetState> = new Set(['stopped-or-terminated', 'invalid-target']);

/** The hosts in a gone state, grouped by what ELB said about them, for error messages. */
export function describeGone(hosts: readonly HostRef[], gone: ReadonlyMap<string, TargetState>): string {
  const meaning: Array<[TargetState, string]> = [
    ['invalid-target', 'not a valid target any more (ELB InvalidTarget: the instance no longer exists, e.g. terminated)'],
    ['stopped-or-terminated', 'stopped or terminated while registered (ELB Target.InvalidState)'],
  ];
  return meaning
    .map(([state, text]) => [hosts.filter((h) => gone.get(h.id) === state), text] as const)
    .filter(([some]) => some.length > 0)
    .map(([some, text]) => `${describeHosts(some)} ${some.length === 1 ? 'is' : 'are'} ${text}`)
    .join('; ');
}

const isInvalidTarget = (err: unknown) => (err as Error).name === 'InvalidTargetException';

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function deregister(targetGroupArns: readonly string[], instanceIds: readonly string[]): Promise<void> {
  for (const arn of targetGroupArns) {
    for (const chunk of chunks(instanceIds, MAX_TARGETS_PER_CALL)) {
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: chunk.map((Id) => ({ Id })) }));
    }
  }
}

/**
 * RegisterTargets refused some targets (InvalidTarget: an instance that is not running,
 * "must be in the running state when you register it", or that does not exist); every
 * other target was registered.
 */
export class TargetsRefusedError extends Error {
  override readonly name = 'TargetsRefusedError';
  constructor(
    /** Refused instance IDs, each with the target groups that refused it. */
    readonly refused: ReadonlyMap<string, string[]>,
    /** Instance IDs registered in every group. */
    readonly registered: readonly string[],
    cause: unknown,
  ) {
    super(`RegisterTargets refused ${[...refused.keys()].join(', ')}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Registers the instances in every group. A call with an invalid target is refused as a
 * whole, so a refused call is split in halves until each refused target is alone: every
 * valid host goes back into traffic, then TargetsRefusedError names the others.
 */
export async function register(targetGroupArns: readonly string[], instanceIds: readonly string[]): Promise<void> {
  const refused = new Map<string, string[]>();
  let firstError: unknown;
  const registerSome = async (arn: string, ids: readonly string[]): Promise<void> => {
    try {
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: ids.map((Id) => ({ Id })) }));
    } catch (err) {
      if (!isInvalidTarget(err)) throw err;
      firstError ??= err;
      if (ids.length === 1) {
        refused.set(ids[0]!, [...(refused.get(ids[0]!) ?? []), arn]);
        return;
      }
      const half = Math.ceil(ids.length / 2);
      await registerSome(arn, ids.slice(0, half));
      await registerSome(arn, ids.slice(half));
    }
  };
  for (const arn of targetGroupArns) {
    for (const chunk of chunks(instanceIds, MAX_TARGETS_PER_CALL)) await registerSome(arn, chunk);
  }
  if (refused.size > 0) throw new TargetsRefusedError(refused, instanceIds.filter((id) => !refused.has(id)), firstError);
}

/**
 * State of each given instance in one target group ('unregistered' once it has left).
 * DescribeTargetHealth fails a whole call with InvalidTarget when one target no longer
 * exists; such a call is split in halves until each invalid target is alone, so every
 * other host still gets its state and the invalid ones are named ('invalid-target').
 */
export async function targetStates(targetGroupArn: string, instanceIds: readonly string[]): Promise<Map<string, TargetState>> {
  const states = new Map<string, TargetState>();
  const describe = async (ids: readonly string[]): Promise<void> => {
    let descriptions;
    try {
      ({ TargetHealthDescriptions: descriptions } = await elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: ids.map((Id) => ({ Id })) }),
      ));
    } catch (err) {
      if (!isInvalidTarget(err)) throw err;
      if (ids.length === 1) {
        states.set(ids[0]!, 'invalid-target');
        return;
      }
      const half = Math.ceil(ids.length / 2);
      await describe(ids.slice(0, half));
      await describe(ids.slice(half));
      return;
    }
    for (const description of descriptions ?? []) {
      const id = description.Target?.Id;
      if (id) states.set(id, stateOf(description.TargetHealth));
    }
  };
  for (const chunk of chunks(instanceIds, MAX_TARGETS_PER_CALL)) await describe(chunk);
  for (const id of instanceIds) if (!states.has(id)) states.set(id, 'unregistered');
  return states;
}

/** ELB's state of a target, as FleetFlow reads it (TargetState). */
function stateOf(health: TargetHealthDescription['TargetHealth']): TargetState {
  const unused = health?.State === 'unused';
  return unused && health.Reason === 'Target.NotRegistered' ? 'unregistered'
    : unused && health.Reason === 'Target.InvalidState' ? 'stopped-or-terminated'
    : (health?.State ?? 'unavailable');
}

/**
 * The state of every target registered in a target group, one call: without Targets,
 * DescribeTargetHealth "describes the health of the specified targets or all of your targets"
 * (ELB API reference), and its answer has no Marker. What Plan Release counts a tier's floor by;
 * a host missing from the map is not registered.
 */
export async function groupTargetStates(targetGroupArn: string): Promise<Map<string, TargetState>> {
  const { TargetHealthDescriptions = [] } = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return new Map(TargetHealthDescriptions.filter((d) => d.Target?.Id).map((d) => [d.Target!.Id!, stateOf(d.TargetHealth)]));
}

/** Every healthy target of a target group (no Targets filter: the whole group). */
export async function healthyTargets(targetGroupArn: string): Promise<Set<string>> {
  const { TargetHealthDescriptions } = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return new Set(
    (TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').map((d) => d.Target?.Id ?? ''),
  );
}
