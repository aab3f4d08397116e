/**
 * Which of a tier's hosts already fail their health checks, and why, as Plan Scale In weighs them
 * (scale-in-choice.ts takes them first, and counts them as serving nothing) and `fleetflow plan`
 * prints them. Read-only.
 *
 * - Target-group tiers: a host that is not healthy in one of the tier's groups serves nothing there,
 *   as Check Retire Capacity counts it live (only `healthy` targets count): `unhealthy` (failing the
 *   group's checks), `unused` (registered but not served: Target.NotInUse, or stopped while
 *   registered), not registered, or `draining`. `initial` (registration in progress) is not a
 *   failure yet: a host just launched is passing its first checks.
 * - Every tier: an EC2 status check (system or instance) `impaired`.
 *
 * DescribeTargetHealth is not paginated: its request has no Marker and its answer is
 * TargetHealthDescriptions alone ("Describes the health of the specified targets or all of your
 * targets", ELB API reference); the instances are named, at most MAX_TARGETS_PER_CALL per call
 * (target-health.ts). DescribeInstanceStatus takes "Maximum 100 explicitly specified instance IDs".
 */
import { DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import type { TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2 } from '../shared/aws/ec2';
import type { InstanceFacts } from '../shared/instances';
import { targetStates, type TargetState } from '../shared/target-health';

/** DescribeInstanceStatus: "Maximum 100 explicitly specified instance IDs" (EC2 API reference). */
const MAX_STATUS_IDS = 100;

/** A target state in which the host serves no traffic of the group, and how a person reads it. */
const NOT_SERVING: Partial<Record<TargetState, string>> = {
  unhealthy: 'unhealthy',
  unused: 'unused',
  unregistered: 'not registered',
  'stopped-or-terminated': 'unused (stopped while registered)',
  'invalid-target': 'not a valid target',
  draining: 'draining',
};

/**
 * Why a host in this target state serves none of the group's traffic (`unhealthy`, `not registered`),
 * or undefined when it serves or soon will (`healthy`, `initial`): Plan Release counts a tier's floor by it.
 */
export function notServingAs(state: TargetState): string | undefined {
  return NOT_SERVING[state];
}

/**
 * The hosts failing a health check now, by instance ID, each with why (`unhealthy in canonical-web`,
 * `EC2 status check impaired`). Hosts not running have no status checks and are not looked at by EC2.
 */
export async function failingHealthChecks(hosts: readonly InstanceFacts[], groups: readonly TargetGroup[]): Promise<Map<string, string>> {
  const failing = new Map<string, string[]>();
  const note = (id: string, why: string) => failing.set(id, [...(failing.get(id) ?? []), why]);
  const running = hosts.filter((h) => h.state === 'running').map((h) => h.id);
  if (running.length === 0) return new Map();
  for (const group of groups) {
    const name = group.TargetGroupName ?? group.TargetGroupArn!;
    for (const [id, state] of await targetStates(group.TargetGroupArn!, running)) {
      const why = NOT_SERVING[state];
      if (why) note(id, `${why} in ${name}`);
    }
  }
  for (let i = 0; i < running.length; i += MAX_STATUS_IDS) {
    const { InstanceStatuses = [] } = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: running.slice(i, i + MAX_STATUS_IDS) }));
    for (const status of InstanceStatuses) {
      if (status.SystemStatus?.Status === 'impaired') note(status.InstanceId!, 'EC2 system status check impaired');
      if (status.InstanceStatus?.Status === 'impaired') note(status.InstanceId!, 'EC2 instance status check impaired');
    }
  }
  return new Map([...failing].map(([id, why]) => [id, why.join(', ')]));
}
