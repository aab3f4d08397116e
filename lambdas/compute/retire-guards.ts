/**
 * Hosts a retire would fail on, or that something else would bring back: refused by the planners
 * (Plan Scale In, Plan Replacement, and Plan Release for the old hosts of a surge tier) before the lock, naming them, with nothing changed. Without it,
 * a protected host is taken out of traffic and drained, then Retire Hosts fails (EC2 refuses the
 * stop or terminate) and the host is left out of traffic: a refusal after something changed.
 *
 * - Stop protection (DisableApiStop), when the tier's retire policy stops hosts: StopInstances is
 *   refused ("The instance '…' may not be stopped. Modify its 'disableApiStop' instance attribute
 *   and try again.", OperationNotPermitted). It also blocks termination: "Stop protection not only
 *   prevents your instance from being accidentally stopped, but also from accidental termination"
 *   (EC2 User Guide, Enable stop protection), so a terminating tier checks both.
 * - Termination protection (DisableApiTermination), when the policy terminates: "The instance …
 *   may not be terminated. Modify its 'disableApiTermination' instance attribute" (EC2 User Guide,
 *   Troubleshoot instance termination).
 * - Membership of an Auto Scaling group: "When you launch instances in an Auto Scaling group, Auto
 *   Scaling automatically tags each one with the group name. This tag can be identified by its key,
 *   aws:autoscaling:groupName" (EC2 Auto Scaling User Guide, Tagging). The group replaces a member
 *   that is stopped (it fails its health check) or terminated (below desired capacity), undoing a
 *   scale-in; and protection does not stop the group itself.
 *
 * The tag comes with DescribeInstances, which the planners already read. The attributes are read
 * with DescribeInstanceAttribute, whose request is one InstanceId and one Attribute ("You can
 * specify only one attribute at a time", EC2 API reference): so only for the hosts chosen, at most
 * ATTRIBUTE_CONCURRENCY calls at a time, to stay well inside EC2's request rate for describe calls.
 */
import { DescribeInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { InvalidInputError } from '../domain/contract/errors';
import { ec2 } from '../shared/aws/ec2';
import type { InstanceFacts } from '../shared/instances';

/** The tag EC2 Auto Scaling puts on each instance it launches in a group, the group's name as value. */
export const AUTO_SCALING_GROUP_TAG = 'aws:autoscaling:groupName';

/** DescribeInstanceAttribute calls in flight at once. */
export const ATTRIBUTE_CONCURRENCY = 4;

type Attribute = 'disableApiStop' | 'disableApiTermination';

/** What each protection is called, and how a person turns it off. */
const PROTECTION: Record<Attribute, { name: string; off: string }> = {
  disableApiStop: { name: 'stop protection (DisableApiStop)', off: '--no-disable-api-stop' },
  disableApiTermination: { name: 'termination protection (DisableApiTermination)', off: '--no-disable-api-termination' },
};

/** Hosts already stopping or stopped are not stopped again (retiring.ts): their protection does not matter to a stop. */
const NOT_STOPPED_AGAIN = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

const describe = (hosts: readonly InstanceFacts[]) =>
  hosts.slice(0, 5).map((h) => (h.name === h.id ? h.id : `${h.name} (${h.id})`)).join(', ') + (hosts.length > 5 ? ` and ${hosts.length - 5} more` : '');

/**
 * Refuses (InvalidInputError, one line, nothing changed) when any of `hosts` belongs to an Auto
 * Scaling group, or has the protection that makes `policy` fail. `what`: the workflow, for the message.
 */
export async function refuseUnretirable(
  tier: string,
  hosts: readonly InstanceFacts[],
  policy: 'stop' | 'terminate',
  what: string,
  /** How the hosts are retired, when not by the tier's retire policy (a surge stops, then terminates), and what else a person can do. */
  wording?: { retires: string; otherwise: string },
): Promise<void> {
  const inGroups = hosts.filter((h) => h.tags.has(AUTO_SCALING_GROUP_TAG));
  if (inGroups.length > 0) {
    const groups = [...new Set(inGroups.map((h) => h.tags.get(AUTO_SCALING_GROUP_TAG)!))].slice(0, 3).join(', ');
    throw new InvalidInputError(
      `tier ${tier}: ${describe(inGroups)} ${inGroups.length === 1 ? 'belongs' : 'belong'} to Auto Scaling group ${groups} (tag ${AUTO_SCALING_GROUP_TAG}), which would replace a member ${what} ` +
        `${policy === 'stop' ? 'stops' : 'terminates'}, undoing it; change the group's desired capacity or detach ${inGroups.length === 1 ? 'it' : 'them'} (aws autoscaling detach-instances) instead; nothing was changed`,
    );
  }
  const acted = policy === 'stop' ? hosts.filter((h) => !NOT_STOPPED_AGAIN.has(h.state)) : hosts;
  const attributes: Attribute[] = policy === 'stop' ? ['disableApiStop'] : ['disableApiTermination', 'disableApiStop'];
  const checks = acted.flatMap((host) => attributes.map((attribute) => ({ host, attribute })));
  const on: boolean[] = [];
  for (let i = 0; i < checks.length; i += ATTRIBUTE_CONCURRENCY) {
    const answers = await Promise.all(
      checks.slice(i, i + ATTRIBUTE_CONCURRENCY).map(({ host, attribute }) => ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: host.id, Attribute: attribute }))),
    );
    answers.forEach((answer, j) => (on[i + j] = (checks[i + j]!.attribute === 'disableApiStop' ? answer.DisableApiStop?.Value : answer.DisableApiTermination?.Value) === true));
  }
  // In the hosts' order, whatever order the answers came in.
  const found = new Map<Attribute, InstanceFacts[]>();
  checks.forEach(({ host, attribute }, i) => on[i] && found.set(attribute, [...(found.get(attribute) ?? []), host]));
  if (found.size === 0) return;
  const parts = [...found].map(([attribute, protectedHosts]) => `${describe(protectedHosts)} ${protectedHosts.length === 1 ? 'has' : 'have'} ${PROTECTION[attribute].name}`);
  const offs = [...found.keys()].map((a) => PROTECTION[a].off).join(' or ');
  const named = [...new Set([...found.values()].flat())];
  throw new InvalidInputError(
    `tier ${tier}: ${parts.join('; ')}: ${wording?.retires ?? `its retire policy ${policy === 'stop' ? 'stops' : 'terminates'} the hosts ${what} removes`}, and EC2 would refuse ` +
      `(OperationNotPermitted) once they were drained; turn it off first (aws ec2 modify-instance-attribute --instance-id ${named.length === 1 ? named[0]!.id : 'ID'} ${offs}, ` +
      `one attribute per call) or ${wording?.otherwise ?? `leave ${named.length === 1 ? 'it' : 'them'} out`}; nothing was changed`,
  );
}
