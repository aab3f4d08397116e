/**
 * ELBv2 target membership and health for a set of instances across target groups.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbv2 } from './aws/elbv2';

/**
 * ELBv2 documents no per-call cap on Targets; we send at most this many per call so a
 * very large batch never builds an oversized request.
 */
export const MAX_TARGETS_PER_CALL = 100;

export type TargetState = TargetHealthStateEnum | 'unregistered';

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

export async function register(targetGroupArns: readonly string[], instanceIds: readonly string[]): Promise<void> {
  for (const arn of targetGroupArns) {
    for (const chunk of chunks(instanceIds, MAX_TARGETS_PER_CALL)) {
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: chunk.map((Id) => ({ Id })) }));
    }
  }
}

/** State of each given instance in one target group ('unregistered' once it has left). */
export async function targetStates(targetGroupArn: string, instanceIds: readonly string[]): Promise<Map<string, TargetState>> {
  const states = new Map<string, TargetState>();
  for (const chunk of chunks(instanceIds, MAX_TARGETS_PER_CALL)) {
    const { TargetHealthDescriptions } = await elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: chunk.map((Id) => ({ Id })) }),
    );
    for (const description of TargetHealthDescriptions ?? []) {
      const id = description.Target?.Id;
      if (!id) continue;
      const health = description.TargetHealth;
      const notRegistered = health?.State === 'unused' && health.Reason === 'Target.NotRegistered';
      states.set(id, notRegistered ? 'unregistered' : (health?.State ?? 'unavailable'));
    }
  }
  for (const id of instanceIds) if (!states.has(id)) states.set(id, 'unregistered');
  return states;
}

/** Every healthy target of a target group (no Targets filter: the whole group). */
export async function healthyTargets(targetGroupArn: string): Promise<Set<string>> {
  const { TargetHealthDescriptions } = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return new Set(
    (TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').map((d) => d.Target?.Id ?? ''),
  );
}
