/**
 * Which old hosts of a surge tier a restarted release takes as already replaced (lambdas/surge/replaced-hosts.ts):
 * the counting rule on the instances as DescribeInstances lists them, with no AWS call.
 */
import { describe, expect, it } from 'vitest';
import { judgeReplaced } from '../../../lambdas/surge/replaced-hosts';
import type { InstanceFacts } from '../../../lambdas/shared/instances';
import type { HostRef } from '../../../lambdas/domain/contract/payloads';

const RELEASE = '1.1.0';
const NOW = 'again';
const STOPPED = 'stopped-run';

function instance(id: string, state: string, tags: Record<string, string>): InstanceFacts {
  return { id, name: id, state, tags: new Map(Object.entries(tags)) };
}
const old = (id: string, extra: Record<string, string> = {}, state = 'running') => instance(id, state, { 'fleetflow:release': '1.0.0', ...extra });
const fresh = (id: string, by = STOPPED, release = RELEASE) =>
  instance(id, 'running', { 'fleetflow:release': release, 'fleetflow:launched-by': by, 'fleetflow:launch-scope': 'surge#middle#0' });
const outBy = (execution: string) => ({ 'fleetflow:out-of-traffic': execution });
const stoppedBy = (execution: string) => ({ 'fleetflow:retired-by': execution, 'fleetflow:retired-reason': 'surge' });

/** The tier as Plan Release found it: running hosts in plan order, and which are out of traffic. */
function judge(live: InstanceFacts[], out: string[]) {
  const hosts: HostRef[] = live.filter((h) => h.state === 'running').map((h) => ({ id: h.id, name: h.id, previous: h.tags.get('fleetflow:release') ?? '' }));
  const result = judgeReplaced(live, { hosts, outOfTraffic: new Set(out) }, RELEASE, NOW);
  return { replaced: result.replaced.map((h) => h.id), unsure: result.unsure.map((h) => h.id) };
}

describe('the old hosts a restarted surge release takes as replaced', () => {
  it('the old host the stopped run took out, its new host serving this release (restart:400): replaced', () => {
    expect(judge([old('mid-1', outBy(STOPPED)), old('mid-2'), fresh('mid-3')], ['mid-1'])).toEqual({ replaced: ['mid-1'], unsure: [] });
  });

  it('a new host serving before its old host left (restart:700 of 20 hosts): the first old hosts still in traffic, as many as it replaced', () => {
    expect(judge([old('mid-5'), old('mid-6'), old('mid-7'), fresh('mid-25'), fresh('mid-26')], [])).toEqual({ replaced: ['mid-5', 'mid-6'], unsure: [] });
  });

  it('an old host the stopped run already stopped used up its new host: the others are not replaced', () => {
    expect(judge([old('mid-1', stoppedBy(STOPPED), 'stopped'), old('mid-2'), fresh('mid-3')], [])).toEqual({ replaced: [], unsure: [] });
  });

  it('fewer serving new hosts than old hosts taken out (one left traffic since): nothing taken as replaced, the taken-out hosts named', () => {
    const live = [old('mid-1', outBy(STOPPED)), old('mid-2', outBy(STOPPED)), fresh('mid-3'), fresh('mid-4')];
    expect(judge(live, ['mid-1', 'mid-2', 'mid-4'])).toEqual({ replaced: [], unsure: ['mid-1', 'mid-2'] });
  });

  it('this execution\'s own hosts and another release\'s new hosts count for nothing', () => {
    expect(judge([old('mid-1', outBy(NOW)), old('mid-2'), fresh('mid-3', NOW)], ['mid-1'])).toEqual({ replaced: [], unsure: [] });
    expect(judge([old('mid-1', outBy(STOPPED)), old('mid-2'), fresh('mid-3', STOPPED, '1.0.5')], ['mid-1'])).toEqual({ replaced: [], unsure: [] });
  });

  it('an old host with an install sent may run anything: never taken as replaced', () => {
    expect(judge([old('mid-1', { 'fleetflow:installing': RELEASE }), fresh('mid-3')], [])).toEqual({ replaced: [], unsure: [] });
  });
});
