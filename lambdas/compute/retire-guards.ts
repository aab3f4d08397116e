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
 * specify only one attribute at a time", EC2 API reference): so only for the hosts chosen, one or
 * two calls a host, paced to EC2's request rate (ATTRIBUTE_PACE): a 1,000-host surge tier is 2,000
 * calls, 97.5 s, which is why the three planners run up to 900 s (lib/constructs/fleetflow-function.ts
 * RETIRE_GUARD_PLANNER_TIMEOUT), and more than ATTRIBUTE_READ_BUDGET_SECONDS of reads is refused
 * before the first.
 */
import { DescribeInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { InvalidInputError } from '../domain/contract/errors';
import { ec2 } from '../shared/aws/ec2';
import type { InstanceFacts } from '../shared/instances';

/** The tag EC2 Auto Scaling puts on each instance it launches in a group, the group's name as value. */
export const AUTO_SCALING_GROUP_TAG = 'aws:autoscaling:groupName';

/** DescribeInstanceAttribute calls in flight at once. */
export const ATTRIBUTE_CONCURRENCY = 4;

/** How the attribute reads are paced: a burst, then a steady rate, as a token bucket of that size refilled at that rate. */
export interface Pace {
  readonly burst: number;
  readonly perSecond: number;
}

/**
 * EC2 throttles each API per account and Region with a token bucket; DescribeInstanceAttribute is
 * one of the "Non-mutating actions", "Bucket maximum capacity" 100, "Bucket refill rate" 20 (EC2
 * Developer Guide, "Request throttling for the Amazon EC2 API", Request token bucket sizes and
 * refill rates), and past it EC2 answers RequestLimitExceeded. The reads take a burst of half the
 * bucket, then go at the refill rate: the other half stays for whatever else in the account
 * describes attributes, and for EC2 adding its tokens once a second rather than continuously.
 */
export const ATTRIBUTE_PACE: Pace = { burst: 50, perSecond: 20 };

/**
 * What one invocation's attribute reads may take, at ATTRIBUTE_PACE: two thirds of the planners'
 * 900 s (lib/constructs/fleetflow-function.ts RETIRE_GUARD_PLANNER_TIMEOUT), the rest for the
 * plan's other reads and for calls slower than the pace. 12,050 reads: 6,025 hosts terminated
 * (two attributes each) or 12,050 stopped; a scale-in's largest (5,000 hosts terminated) takes
 * 497.5 s.
 */
export const ATTRIBUTE_READ_BUDGET_SECONDS = 600;

/**
 * Reads that follow one another within this many seconds count against one budget: Plan Release
 * reads its surge tiers one after the other, seconds apart; two plans are minutes apart (a run
 * holds the lock). A plan retried at once after a failure counts its first attempt's reads too.
 * A clock that went back (a simulation starting again at its epoch) starts afresh as well.
 */
const SAME_INVOCATION_GAP_SECONDS = 60;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The pacer of this container's reads, as a theoretical arrival time (GCRA, the token bucket's
 * equivalent): `next` is when the next read would start were the bucket empty; a read may start
 * up to (burst - 1) intervals before it. Module state, as the SDK client is: one container runs one
 * invocation at a time, and EC2's bucket remembers the reads of the invocation before.
 * `lastUsed`: when the last read reserved starts; `budgetFrom`: when this invocation's reads began.
 */
const pacer = { next: Number.NEGATIVE_INFINITY, budgetFrom: 0, lastUsed: Number.NEGATIVE_INFINITY };

/** Reserves the next read's start: the milliseconds to wait before sending it. */
function reserve(pace: Pace, now: number): number {
  const interval = 1000 / pace.perSecond;
  const at = Math.max(pacer.next, now);
  pacer.next = at + interval;
  const wait = Math.max(0, at - (pace.burst - 1) * interval - now);
  pacer.lastUsed = Math.max(pacer.lastUsed, now + wait);
  return wait;
}

/** Starts a new budget (and forgets the pacer's backlog) unless reads ended moments ago on a clock that ran forward. */
function beginReads(now: number): void {
  if (now >= pacer.lastUsed && now - pacer.lastUsed <= SAME_INVOCATION_GAP_SECONDS * 1000) return;
  pacer.next = Number.NEGATIVE_INFINITY;
  pacer.lastUsed = Number.NEGATIVE_INFINITY;
  pacer.budgetFrom = now;
}

/** Milliseconds from now until the last of `calls` more reads could start, at `pace`. */
function lastStartMs(calls: number, pace: Pace, now: number): number {
  const interval = 1000 / pace.perSecond;
  return Math.max(0, Math.max(pacer.next, now) + (calls - 1) * interval - (pace.burst - 1) * interval - now);
}

/**
 * Runs `call` on every item, ATTRIBUTE_CONCURRENCY at a time, each started no sooner than `pace`
 * allows, in the items' order; stops sending at the first failure. Sleeps are timers, so the
 * simulator's virtual clock runs through them.
 */
export async function paced<T, R>(items: readonly T[], call: (item: T) => Promise<R>, pace: Pace = ATTRIBUTE_PACE): Promise<R[]> {
  beginReads(Date.now());
  const results: R[] = new Array<R>(items.length);
  let nextIndex = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && nextIndex < items.length) {
      const i = nextIndex++;
      const wait = reserve(pace, Date.now());
      if (wait > 0) await sleep(wait);
      if (failed) return;
      try {
        results[i] = await call(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ATTRIBUTE_CONCURRENCY, items.length) }, worker));
  return results;
}

/** What a person can do when a workflow's hosts are too many to check in one plan. */
const FEWER: Record<Workflow, (hosts: number) => string> = {
  'a scale-in': (hosts) => `remove at most ${hosts} hosts a run (scale in again for the rest)`,
  'a replacement': (hosts) => `replace at most ${hosts} hosts a run (name fewer targets; replace again for the rest)`,
  'a surge release': () => 'release the tier with batch.strategy "rolling", which retires no host',
};

/** The workflows that retire hosts, as the messages name them. */
type Workflow = 'a scale-in' | 'a replacement' | 'a surge release';

/**
 * Refuses (InvalidInputError, before any read) reads that could not all start within the
 * invocation's ATTRIBUTE_READ_BUDGET_SECONDS at ATTRIBUTE_PACE, naming the figures and the way out.
 */
function refuseTooManyReads(tier: string, hosts: number, attributes: readonly Attribute[], calls: number, what: Workflow, now: number): void {
  beginReads(now);
  const budgetMs = ATTRIBUTE_READ_BUDGET_SECONDS * 1000;
  const endsAt = now + lastStartMs(calls, ATTRIBUTE_PACE, now);
  if (endsAt - pacer.budgetFrom <= budgetMs) return;
  const leftMs = Math.max(0, pacer.budgetFrom + budgetMs - now);
  // The reads that still fit: the last may start at leftMs from now.
  const fitting = Math.max(0, Math.floor((leftMs - Math.max(0, pacer.next - now)) / (1000 / ATTRIBUTE_PACE.perSecond)) + ATTRIBUTE_PACE.burst);
  const maxHosts = Math.floor(fitting / attributes.length);
  throw new InvalidInputError(
    `tier ${tier}: ${what} would read ${hosts} hosts' ${attributes.join(' and ')} (${calls} DescribeInstanceAttribute calls, one attribute of one host each), ` +
      `which EC2's request rate (${ATTRIBUTE_PACE.burst} at once, then ${ATTRIBUTE_PACE.perSecond} a second) stretches over ${Math.ceil((endsAt - now) / 1000)} s, ` +
      `past the ${ATTRIBUTE_READ_BUDGET_SECONDS} s a plan may spend on them; ${FEWER[what](maxHosts)}; nothing was changed`,
  );
}

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
  what: Workflow,
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
  if (checks.length === 0) return;
  refuseTooManyReads(tier, acted.length, attributes, checks.length, what, Date.now());
  const on = await paced(checks, async ({ host, attribute }) => {
    const answer = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: host.id, Attribute: attribute }));
    return (attribute === 'disableApiStop' ? answer.DisableApiStop?.Value : answer.DisableApiTermination?.Value) === true;
  });
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
