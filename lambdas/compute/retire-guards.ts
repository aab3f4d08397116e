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
 * RETIRE_GUARD_PLANNER_TIMEOUT), and more than ATTRIBUTE_READ_BUDGET_SECONDS of reads, every tier
 * of the plan added up (refuseUnretirableTiers), is refused before the first. protectionReads says
 * which calls a plan makes: the simulator's lower bound and `fleetflow plan` count them by it.
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
 * refill rates), and past it EC2 answers RequestLimitExceeded. AWS's floor for N reads is so
 * (N - 100) / 20 s; the reads keep to a burst of half the bucket, then the refill rate, which is
 * (N - 50) / 20 s: 2.5 s more, whatever N (a 1,000-host surge tier: 97.5 s against 95).
 *
 * Decided, and kept: 50, not the whole bucket. EC2 adds the second's tokens at once ("If the
 * bucket is below its maximum capacity, a set number of tokens is added back to it every second"), so a bucket emptied by a burst of 100 has no
 * token for the reads paced within the next second: up to 19 would be throttled and wait out the
 * SDK's backoff (random × 1 s, then 2 s …), each retry taking from the client's retry quota, and
 * a planner that runs out of it fails the plan. The 50 left over cover that second's phase (20
 * tokens) and whatever else in the account reads attributes meanwhile (a console, a script: rare,
 * as the bucket is DescribeInstanceAttribute's own, "each API is evaluated individually"). 2.5 s
 * of a plan is the price of never being throttled; the lower bound stays AWS's (100, then 20).
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

/** The workflows that retire hosts, as the messages name them. */
type Workflow = 'a scale-in' | 'a replacement' | 'a surge release';

export type Attribute = 'disableApiStop' | 'disableApiTermination';

/** How a tier retires its hosts: stop them, or terminate them. */
export type RetirePolicy = 'stop' | 'terminate';

/** Hosts already stopping or stopped are not stopped again (retiring.ts): their protection does not matter to a stop. */
const NOT_STOPPED_AGAIN = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/** The attributes a policy must find off: stop protection for a stop; both for a terminate (stop protection blocks it too). */
export function protectionAttributes(policy: RetirePolicy): Attribute[] {
  return policy === 'stop' ? ['disableApiStop'] : ['disableApiTermination', 'disableApiStop'];
}

/**
 * Every DescribeInstanceAttribute call the guard makes for `hosts` retired by `policy`, one host and
 * one attribute each, in the hosts' order: the hosts a stop would act on (not those already
 * stopping or stopped), each attribute of the policy. Pure: the planners read these, and the
 * simulator's lower bound (lib/simulator/compute-bound.ts) and `fleetflow plan` count them.
 */
export function protectionReads<H extends { readonly state: string }>(hosts: readonly H[], policy: RetirePolicy): Array<{ host: H; attribute: Attribute }> {
  const acted = policy === 'stop' ? hosts.filter((h) => !NOT_STOPPED_AGAIN.has(h.state)) : hosts;
  const attributes = protectionAttributes(policy);
  return acted.flatMap((host) => attributes.map((attribute) => ({ host, attribute })));
}

/**
 * Seconds from the first read to the last one's start at `pace`, for `reads` reads on a bucket
 * that starts full: the burst at once, the rest at the steady rate. With EC2's own bucket (100,
 * 20 a second) this is AWS's floor; with ATTRIBUTE_PACE, what the guard takes.
 */
export function readSeconds(reads: number, pace: Pace = ATTRIBUTE_PACE): number {
  return Math.max(0, reads - pace.burst) / pace.perSecond;
}

/** One tier's hosts the guard checks, how they are retired, and the words for a refusal. */
export interface GuardedTier {
  readonly tier: string;
  readonly hosts: readonly InstanceFacts[];
  readonly policy: RetirePolicy;
  /** How the hosts are retired, when not by the tier's retire policy (a surge stops, then terminates), and what else a person can do. */
  readonly wording?: { retires: string; otherwise: string };
}

/** What a person can do when a plan's reads are too many for one plan, given the reads that fit. */
function fewer(what: Workflow, tiers: ReadonlyArray<{ tier: string; calls: number; perHost: number }>, fitting: number): string {
  if (what === 'a surge release') {
    // The fewest tiers to release rolling (largest first) that leave reads within the budget.
    const rolling: string[] = [];
    let left = tiers.reduce((n, t) => n + t.calls, 0);
    for (const t of [...tiers].sort((a, b) => b.calls - a.calls)) {
      if (left <= fitting) break;
      rolling.push(t.tier);
      left -= t.calls;
    }
    return `release ${rolling.length === 1 ? `tier ${rolling[0]}` : `tiers ${rolling.join(', ')}`} with batch.strategy "rolling", which retires no host`;
  }
  const maxHosts = Math.floor(fitting / Math.max(1, ...tiers.map((t) => t.perHost)));
  return what === 'a scale-in'
    ? `remove at most ${maxHosts} hosts a run (scale in again for the rest)`
    : `replace at most ${maxHosts} hosts a run (name fewer targets; replace again for the rest)`;
}

/**
 * Refuses (InvalidInputError, before any read) a plan whose reads, every tier's added up, could
 * not all start within the invocation's ATTRIBUTE_READ_BUDGET_SECONDS at ATTRIBUTE_PACE, naming
 * the total, each tier's figures and the way out.
 */
function refuseTooManyReads(what: Workflow, tiers: ReadonlyArray<{ tier: string; hosts: number; attributes: readonly Attribute[]; calls: number }>, now: number): void {
  const calls = tiers.reduce((n, t) => n + t.calls, 0);
  if (calls === 0) return;
  beginReads(now);
  const budgetMs = ATTRIBUTE_READ_BUDGET_SECONDS * 1000;
  const endsAt = now + lastStartMs(calls, ATTRIBUTE_PACE, now);
  if (endsAt - pacer.budgetFrom <= budgetMs) return;
  const leftMs = Math.max(0, pacer.budgetFrom + budgetMs - now);
  // The reads that still fit: the last may start at leftMs from now.
  const fitting = Math.max(0, Math.floor((leftMs - Math.max(0, pacer.next - now)) / (1000 / ATTRIBUTE_PACE.perSecond)) + ATTRIBUTE_PACE.burst);
  const hosts = tiers.reduce((n, t) => n + t.hosts, 0);
  const each =
    tiers.length === 1
      ? `: ${tiers[0]!.attributes.join(' and ')}`
      : `; ${tiers.map((t) => `tier ${t.tier}: ${t.hosts} hosts × ${t.attributes.join(' and ')}, ${t.calls} calls`).join('; ')}`;
  throw new InvalidInputError(
    `${tiers.length === 1 ? `tier ${tiers[0]!.tier}` : `tiers ${tiers.map((t) => t.tier).join(', ')}`}: ${what} would read the protection of ${hosts} hosts, ` +
      `${calls} DescribeInstanceAttribute calls (one attribute of one host each${each}), ` +
      `which EC2's request rate (${ATTRIBUTE_PACE.burst} at once, then ${ATTRIBUTE_PACE.perSecond} a second) stretches over ${Math.ceil((endsAt - now) / 1000)} s, ` +
      `past the ${ATTRIBUTE_READ_BUDGET_SECONDS} s a plan may spend on them (${fitting} calls); ` +
      `${fewer(what, tiers.map((t) => ({ tier: t.tier, calls: t.calls, perHost: t.attributes.length })), fitting)}; nothing was changed`,
  );
}

/** What each protection is called, and how a person turns it off. */
const PROTECTION: Record<Attribute, { name: string; off: string }> = {
  disableApiStop: { name: 'stop protection (DisableApiStop)', off: '--no-disable-api-stop' },
  disableApiTermination: { name: 'termination protection (DisableApiTermination)', off: '--no-disable-api-termination' },
};

const describe = (hosts: readonly InstanceFacts[]) =>
  hosts.slice(0, 5).map((h) => (h.name === h.id ? h.id : `${h.name} (${h.id})`)).join(', ') + (hosts.length > 5 ? ` and ${hosts.length - 5} more` : '');

/** Refuses a tier whose hosts an Auto Scaling group would bring back: from the tags already read, no call. */
function refuseInGroups({ tier, hosts, policy }: GuardedTier, what: Workflow): void {
  const inGroups = hosts.filter((h) => h.tags.has(AUTO_SCALING_GROUP_TAG));
  if (inGroups.length === 0) return;
  const groups = [...new Set(inGroups.map((h) => h.tags.get(AUTO_SCALING_GROUP_TAG)!))].slice(0, 3).join(', ');
  throw new InvalidInputError(
    `tier ${tier}: ${describe(inGroups)} ${inGroups.length === 1 ? 'belongs' : 'belong'} to Auto Scaling group ${groups} (tag ${AUTO_SCALING_GROUP_TAG}), which would replace a member ${what} ` +
      `${policy === 'stop' ? 'stops' : 'terminates'}, undoing it; change the group's desired capacity or detach ${inGroups.length === 1 ? 'it' : 'them'} (aws autoscaling detach-instances) instead; nothing was changed`,
  );
}

/** Reads one tier's protections and refuses, naming the hosts, when any is on. */
async function refuseProtected({ tier, policy, wording }: GuardedTier, checks: ReadonlyArray<{ host: InstanceFacts; attribute: Attribute }>, what: Workflow): Promise<void> {
  if (checks.length === 0) return;
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

/**
 * Refuses (InvalidInputError, one line, nothing changed) when any tier's hosts belong to an Auto
 * Scaling group, or have the protection that makes their policy fail. In that order, and the
 * reads' budget before the first read: every tier's group membership (no call), then every
 * tier's reads added up (all the plan will read), then each tier's reads. `what`: the workflow.
 */
export async function refuseUnretirableTiers(what: Workflow, tiers: readonly GuardedTier[]): Promise<void> {
  for (const tier of tiers) refuseInGroups(tier, what);
  const reads = tiers.map((t) => protectionReads(t.hosts, t.policy));
  refuseTooManyReads(
    what,
    tiers
      .map((t, i) => ({ tier: t.tier, hosts: new Set(reads[i]!.map((r) => r.host)).size, attributes: protectionAttributes(t.policy), calls: reads[i]!.length }))
      .filter((t) => t.calls > 0),
    Date.now(),
  );
  for (const [i, tier] of tiers.entries()) await refuseProtected(tier, reads[i]!, what);
}

/** refuseUnretirableTiers for one tier. */
export async function refuseUnretirable(
  tier: string,
  hosts: readonly InstanceFacts[],
  policy: RetirePolicy,
  what: Workflow,
  wording?: { retires: string; otherwise: string },
): Promise<void> {
  await refuseUnretirableTiers(what, [{ tier, hosts, policy, ...(wording ? { wording } : {}) }]);
}
