/**
 * A restarted surge's batch whose old hosts an earlier run's serving new hosts already replaced
 * (lambdas/surge/replaced-hosts.ts) launches nothing: its progress says so, and never names an
 * empty list of new hosts.
 */
import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../lib/simulator/progress';

const entered = (name: string, input: Record<string, unknown>) => describeEvent({ type: 'StateEntered', timestamp: 1000, state: { name, type: 'Task', input } }, 0);
const batch = (hosts: Array<{ id: string; name: string; replaced?: true }>) => ({ tier: { name: 'middle' }, release: '1.1.0', batch: { index: 0, count: 1, hosts } });

describe('surge progress lines', () => {
  it('names the old hosts a new host is launched for, and apart those already replaced', () => {
    const line = entered('Launch Surge Hosts', batch([{ id: 'i-1', name: 'mid-1' }, { id: 'i-2', name: 'mid-2', replaced: true }]));

    expect(line).toContain('a new host for each of mid-1; mid-2 leaves with no new host (a stopped run of this release already covered it)');
  });

  it('says a batch of replaced hosts launches, installs and puts into service nothing', () => {
    const state = { ...batch([{ id: 'i-2', name: 'mid-2', replaced: true }]), surgeSetUp: { batch: { index: 0, count: 1, hosts: [] } } };

    expect(entered('Launch Surge Hosts', state)).toContain('surge: no new host to launch: mid-2 leaves with no new host');
    expect(entered('Surge Install On New Hosts', state)).toContain('surge: no new host to install');
    expect(entered('Surge Put New Hosts In Service', state)).toContain('surge: no new host to put into service');
  });
});
