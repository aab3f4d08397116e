/**
 * What a stopped run left behind. An execution stopped (StopExecution, or timed out) after
 * its hosts launched cannot clean up: its hosts keep running with nothing, or half of
 * their setup, installed. They carry the tier's tags, so a compute planner that counted
 * every live host of the tier would take them as done and launch nothing.
 *
 * A leftover is a live host of the tier launched by another FleetFlow execution
 * (`fleetflow:launched-by`), never retired, that never got a release: the provisioning
 * writes `fleetflow:release` only after the install succeeded on every host of the batch,
 * and puts a host into service only after that, so a host without it has never served.
 * This is the same rule by which Plan Release leaves such hosts out of a tier.
 *
 * The compute planners do not count leftovers (the tier launches what it misses without
 * them), and the run terminates them once it holds the lock (Terminate Leftovers): a re-run
 * finishes what its stopped run left, and never counts a host that was never set up as done.
 */
import { LAUNCHED_BY_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { findInstances, tagFilters, tagRetiredAndTerminate, type InstanceFacts } from '../shared/instances';
import { describeHosts } from '../shared/polling';
import type { LeftoverTier } from '../domain/contract/payloads';

/** States of a host that is, or will be, part of its tier. */
export const LIVE_STATES = ['pending', 'running'] as const;
/** States of a leftover that is still there to terminate (one may have been stopped meanwhile). */
const NOT_ENDED_STATES = [...LIVE_STATES, 'stopping', 'stopped'] as const;
/** The retired reason of a leftover: why it was terminated. */
export const LEFTOVER_REASON = 'launched by an execution that stopped before it was set up';

/** A host another execution launched and that never got a release: never set up, never in service. */
export function isLeftover(host: InstanceFacts, execution: string): boolean {
  const launchedBy = host.tags.get(LAUNCHED_BY_TAG);
  return launchedBy !== undefined && launchedBy !== execution && !host.tags.has(RETIRED_BY_TAG) && !host.tags.has(RELEASE_TAG);
}

/** The tier's live hosts that count (pending or running, not leftovers), and the leftovers of stopped runs (in any state but ended). */
export async function liveHosts(hostTags: Record<string, string>, execution: string): Promise<{ counted: InstanceFacts[]; leftovers: InstanceFacts[] }> {
  const hosts = await findInstances(tagFilters(hostTags, NOT_ENDED_STATES));
  return {
    counted: hosts.filter((h) => (LIVE_STATES as readonly string[]).includes(h.state) && !isLeftover(h, execution)),
    leftovers: hosts.filter((h) => isLeftover(h, execution)),
  };
}

/** What the plan says about a tier's leftovers: counts and a few names, never the host list. */
export function leftoverTier(name: string, hostTags: Record<string, string>, leftovers: readonly InstanceFacts[]): LeftoverTier {
  return { tier: name, hostTags, count: leftovers.length, sample: describeHosts(leftovers) };
}

export interface LeftoversInput {
  readonly execution: string;
  readonly leftovers: readonly LeftoverTier[];
}

export interface LeftoversOutcome {
  /** Leftovers terminated (or found terminating) by this call. */
  readonly terminated: number;
}

/**
 * Terminate Leftovers: each tier's leftovers, found again now that the run holds the lock
 * (no other FleetFlow execution of the environment can be launching), tagged with why, and
 * terminated (never having had a release, FleetFlow never registered them). Not waited for: a terminating
 * host never serves again. Safe to retry and to redrive: tagging again and terminating a
 * terminating instance change nothing.
 */
export async function terminateLeftovers(event: LeftoversInput): Promise<LeftoversOutcome> {
  let terminated = 0;
  for (const tier of event.leftovers) {
    const live = await findInstances(tagFilters(tier.hostTags, NOT_ENDED_STATES));
    // A retry after the tags were written but before TerminateInstances answered: still ours to terminate.
    const taggedByUs = (h: InstanceFacts) => h.tags.get(RETIRED_BY_TAG) === event.execution && h.tags.get(RETIRED_REASON_TAG) === LEFTOVER_REASON;
    const ids = live.filter((h) => isLeftover(h, event.execution) || taggedByUs(h)).map((h) => h.id);
    terminated += ids.length;
    if (ids.length > 0) await tagRetiredAndTerminate(ids, { execution: event.execution, at: new Date(), reason: LEFTOVER_REASON });
  }
  return { terminated };
}
