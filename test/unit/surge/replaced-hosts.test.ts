/**
 * Which old hosts of a surge tier a restarted release takes as already replaced (lambdas/surge/replaced-hosts.ts):
 * the rule on the instances as DescribeInstances lists them, with no AWS call. Evidence is each new host's batch
 * (launched-by, launch scope) and the old hosts it names (fleetflow:replaces), never a count of hosts that may be gone.
 */
import { describe, expect, it } from 'vitest';
import { judgeReplaced } from '../../../lambdas/surge/replaced-hosts';
import { replacesTag } from '../../../lambdas/surge/surge-hosts';
import { handler, tiersOf } from '../../../lambdas/surge/terminate-surged';
import type { InstanceFacts } from '../../../lambdas/shared/instances';
import type { HostRef } from '../../../lambdas/domain/contract/payloads';

const RELEASE = '1.1.0';
const NOW = 'again';
const STOPPED = 'stopped-run';

function instance(id: string, state: string, tags: Record<string, string>): InstanceFacts {
  return { id, name: id, state, tags: new Map(Object.entries(tags)) };
}
const old = (id: string, extra: Record<string, string> = {}, state = 'running') => instance(id, state, { 'fleetflow:release': '1.0.0', ...extra });
/** A new host of batch `index` of an earlier (or this) execution, replacing `replaces` (undefined: launched without the tag). */
const fresh = (id: string, replaces: string[] | undefined, { by = STOPPED, release = RELEASE, index = 0 } = {}) =>
  instance(id, 'running', {
    'fleetflow:release': release,
    'fleetflow:launched-by': by,
    'fleetflow:launch-scope': `surge#middle#${index}`,
    ...(replaces ? { 'fleetflow:replaces': replaces.join(' ') } : {}),
  });
const outBy = (execution: string) => ({ 'fleetflow:out-of-traffic': execution });
const stoppedBy = (execution: string) => ({ 'fleetflow:retired-by': execution, 'fleetflow:retired-reason': 'surge' });

/** The tier as Plan Release found it: running hosts in plan order, and which are out of traffic. */
function judge(live: InstanceFacts[], out: string[]) {
  const hosts: HostRef[] = live.filter((h) => h.state === 'running').map((h) => ({ id: h.id, name: h.id, previous: h.tags.get('fleetflow:release') ?? '' }));
  const result = judgeReplaced(live, { hosts, outOfTraffic: new Set(out) }, RELEASE, NOW);
  return { replaced: result.replaced.map((h) => h.id), unsure: result.unsure.map((h) => h.id), surplus: result.surplus.map((h) => h.id) };
}
const none = { replaced: [], unsure: [], surplus: [] };

describe('the old hosts a restarted surge release takes as replaced', () => {
  it('the old host the stopped run took out, its batch\'s new host serving this release (restart:400): replaced', () => {
    expect(judge([old('mid-1', outBy(STOPPED)), old('mid-2'), fresh('mid-3', ['mid-1'])], ['mid-1'])).toEqual({ ...none, replaced: ['mid-1'] });
  });

  it('a batch\'s new hosts serving before its old hosts left (restart:700 of 20 hosts): exactly the old hosts they name, still in traffic', () => {
    const live = [old('mid-5'), old('mid-6'), old('mid-7'), fresh('mid-25', ['mid-6', 'mid-7'], { index: 2 }), fresh('mid-26', ['mid-6', 'mid-7'], { index: 2 })];
    expect(judge(live, [])).toEqual({ ...none, replaced: ['mid-6', 'mid-7'] });
  });

  it('the batch\'s old hosts stopped, then terminated (by hand, or another release\'s end): the serving new hosts replace no old host still in traffic', () => {
    // The repro of the review: mid-1 and mid-2 are gone, mid-5 and mid-6 (their batch) serve; mid-3 and mid-4 were never in a batch that launched.
    const live = [old('mid-3'), old('mid-4'), fresh('mid-5', ['mid-1', 'mid-2']), fresh('mid-6', ['mid-1', 'mid-2'])];
    expect(judge(live, [])).toEqual(none);
    // Still stopped, they are not running: nothing to retire either.
    expect(judge([old('mid-1', stoppedBy(STOPPED), 'stopped'), old('mid-2'), fresh('mid-3', ['mid-1'])], [])).toEqual(none);
  });

  it('fewer serving new hosts than the old hosts their batch names (one left traffic since): none taken as replaced, the taken-out hosts named', () => {
    const live = [old('mid-1', outBy(STOPPED)), old('mid-2', outBy(STOPPED)), fresh('mid-3', ['mid-1', 'mid-2']), fresh('mid-4', ['mid-1', 'mid-2'])];
    expect(judge(live, ['mid-1', 'mid-2', 'mid-4'])).toEqual({ ...none, unsure: ['mid-1', 'mid-2'] });
  });

  it('new hosts without the tag (a batch of more than 12 old hosts) prove nothing: the taken-out old host is surged again, named', () => {
    expect(judge([old('mid-1', outBy(STOPPED)), old('mid-2'), fresh('mid-3', undefined)], ['mid-1'])).toEqual({ ...none, unsure: ['mid-1'] });
    expect(replacesTag(Array.from({ length: 12 }, (_, i) => `i-0123456789abcdef${i % 10}`))).toHaveLength(239);
    expect(replacesTag(Array.from({ length: 13 }, (_, i) => `i-0123456789abcdef${i % 10}`))).toBeUndefined();
    expect(replacesTag([])).toBeUndefined();
  });

  it('this execution\'s own hosts and another release\'s new hosts count for nothing', () => {
    expect(judge([old('mid-1', outBy(NOW)), old('mid-2'), fresh('mid-3', ['mid-1'], { by: NOW })], ['mid-1'])).toEqual(none);
    expect(judge([old('mid-1', outBy(STOPPED)), old('mid-2'), fresh('mid-3', ['mid-1'], { release: '1.0.5' })], ['mid-1'])).toEqual({ ...none, unsure: ['mid-1'] });
  });

  it('an old host with an install sent may run anything: never taken as replaced', () => {
    expect(judge([old('mid-1', { 'fleetflow:installing': RELEASE }), fresh('mid-3', ['mid-1'])], [])).toEqual(none);
  });

  it('a rollback stopped midway (its old host back in traffic, its new host out): the new host is surplus; with its old host still out, it is not', () => {
    expect(judge([old('mid-1'), old('mid-2'), fresh('mid-3', ['mid-1'])], ['mid-3'])).toEqual({ ...none, surplus: ['mid-3'] });
    expect(judge([old('mid-1', outBy(STOPPED)), old('mid-2'), fresh('mid-3', ['mid-1'])], ['mid-1', 'mid-3'])).toEqual({ ...none, unsure: ['mid-1'] });
  });
});

describe('Terminate Surged Hosts: the tiers it looks at', () => {
  const tiers = [
    { name: 'middle', component: 'application', hostTags: { tier: 'middle' } },
    { name: 'monitoring', component: 'monitoring', hostTags: { tier: 'monitoring' } },
  ];

  it('only the released component\'s surge tiers (a monitoring release never ends an application release\'s stopped old hosts)', () => {
    expect(tiersOf(tiers, 'monitoring').map((t) => t.name)).toEqual(['monitoring']);
    expect(tiersOf(tiers, 'application').map((t) => t.name)).toEqual(['middle']);
  });

  it('refuses a component it does not know before looking at anything', async () => {
    await expect(handler({ execution: 'e', component: 'database', tiers })).rejects.toThrow(/component must be "application" or "monitoring" \(received "database"\)/);
    await expect(handler({ execution: '', tiers })).rejects.toThrow(/execution must be a non-empty string/);
  });
});
