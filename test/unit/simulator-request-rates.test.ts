/**
 * EC2's request rate in the simulated account (lib/simulator/request-rates.ts): a token bucket
 * per API for the whole account, on the clock, with the sizes of EC2's table (non-mutating
 * actions 100, refilled 20 a second; DescribeInstances and DescribeInstanceStatus without a filter
 * or pagination 50, refilled 10), answered RequestLimitExceeded when empty, as the meter answers
 * an injected throttle.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SimulatedAccount } from '../../lib/simulator/account';
import { callService } from '../../lib/simulator/services/index';
import { NOW } from './fixtures';
import { refusal, seedWithFaults } from './simulated-calls';

// As the SDK middleware calls it for EC2 (intercept.ts: THROTTLING_ERROR_BY_SERVICE.ec2).
const ec2 = (account: SimulatedAccount, operation: string, input: Record<string, unknown>) => callService(account, 'ec2', operation, input, 'RequestLimitExceeded');

/** How many of `count` calls made at this instant EC2 answers, before the first it refuses. */
function admitted(count: number, act: () => unknown): number {
  for (let i = 0; i < count; i += 1) {
    try {
      act();
    } catch (err) {
      expect(err).toMatchObject({ name: 'RequestLimitExceeded', $retryable: { throttling: true } });
      return i;
    }
  }
  return count;
}

describe('simulated EC2: request rate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('answers 100 DescribeInstanceAttribute calls at one instant, refuses the next, and takes 20 more a second after', () => {
    // Prepare
    const account = seedWithFaults();
    const id = [...account.hosts.keys()][0]!;
    const ask = () => ec2(account, 'DescribeInstanceAttribute', { InstanceId: id, Attribute: 'disableApiStop' });

    // Act / Assess: the bucket's 100, then nothing until tokens come back
    expect(admitted(150, ask)).toBe(100);
    vi.setSystemTime(NOW + 1000);
    expect(admitted(150, ask)).toBe(20);
    vi.setSystemTime(NOW + 1500);
    expect(admitted(150, ask)).toBe(10);
    // Refused calls took no token; the bucket never holds more than 100.
    vi.setSystemTime(NOW + 600_000);
    expect(admitted(150, ask)).toBe(100);
    expect(account.rateLimited.get('DescribeInstanceAttribute')).toBe(4);
    expect(account.throttledCalls).toBe(4);
  });

  it('keeps one bucket per API: another describe, and a mutating call, go on while one bucket is empty', () => {
    // Prepare: the attribute bucket emptied
    const account = seedWithFaults();
    const id = [...account.hosts.keys()][0]!;
    admitted(101, () => ec2(account, 'DescribeInstanceAttribute', { InstanceId: id, Attribute: 'disableApiStop' }));

    // Act / Assess
    expect(admitted(100, () => ec2(account, 'DescribeInstances', { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }))).toBe(100);
    expect(() => ec2(account, 'CreateTags', { Resources: [id], Tags: [{ Key: 'k', Value: 'v' }] })).not.toThrow();
    expect(refusal(() => ec2(account, 'DescribeInstanceAttribute', { InstanceId: id, Attribute: 'disableApiStop' })).name).toBe('RequestLimitExceeded');
  });

  it('takes a call without a filter or pagination from the smaller bucket of DescribeInstances and DescribeInstanceStatus (50, 10 a second)', () => {
    // Prepare
    const account = seedWithFaults();
    const ids = [...account.hosts.keys()].slice(0, 2);

    // Act / Assess: by ID only, 50; paginated or filtered, the 100 of the larger bucket, apart from it
    expect(admitted(120, () => ec2(account, 'DescribeInstanceStatus', { InstanceIds: ids }))).toBe(50);
    expect(admitted(120, () => ec2(account, 'DescribeInstanceStatus', { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }))).toBe(100);
    expect(admitted(120, () => ec2(account, 'DescribeInstances', { InstanceIds: ids }))).toBe(50);
    expect(admitted(120, () => ec2(account, 'DescribeInstances', { MaxResults: 1000 }))).toBe(100);
    vi.setSystemTime(NOW + 1000);
    expect(admitted(120, () => ec2(account, 'DescribeInstanceStatus', { InstanceIds: ids }))).toBe(10);
  });
});
