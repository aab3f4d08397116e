/**
 * The retire guards' protection reads (lambdas/compute/retire-guards.ts) against EC2's request
 * rate as the simulated account keeps it (lib/simulator/request-rates.ts: DescribeInstanceAttribute
 * 100 at once, 20 a second): paced, a burst of 50 then 20 a second on the virtual clock, they are
 * never throttled; sent as before (four in flight, no pause) the 101st is. More reads than the
 * planner's budget is refused before the first, with the figures and the way out.
 */
import { DescribeInstanceAttributeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ATTRIBUTE_CONCURRENCY, ATTRIBUTE_PACE, ATTRIBUTE_READ_BUDGET_SECONDS, paced, protectionReads, readSeconds, refuseUnretirable, refuseUnretirableTiers } from '../../../lambdas/compute/retire-guards';
import { LIMITS } from '../../../lambdas/domain/environment/limits';
import { ec2 } from '../../../lambdas/shared/aws/ec2';
import type { InstanceFacts } from '../../../lambdas/shared/instances';
import { RETIRE_GUARD_PLANNER_TIMEOUT } from '../../../lib/constructs/fleetflow-function';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { runOnVirtualClock } from '../../../lib/simulator/virtual-clock';
import { NOW } from '../fixtures';
import { SIMULATED_AWS_ENV } from '../simulated-aws-environment';
import { seedWithFaults } from '../simulated-calls';

const facts = (account: SimulatedAccount, tier: string): InstanceFacts[] =>
  [...account.hosts.values()].filter((h) => h.tier === tier).map((h) => ({ id: h.id, name: h.name, state: h.state, tags: h.tags }));

/** An EC2 client without the SDK's retries: what EC2 answers each read, as it answers it. */
const once = new EC2Client({ region: SIMULATED_AWS_ENV.AWS_REGION, maxAttempts: 1 });

describe('the retire guards against EC2 request rate', () => {
  let saved: Record<string, string | undefined> = {};
  let detach = () => {};
  beforeEach(() => {
    saved = Object.fromEntries(Object.keys(SIMULATED_AWS_ENV).map((k) => [k, process.env[k]]));
    Object.assign(process.env, SIMULATED_AWS_ENV);
  });
  afterEach(() => {
    detach();
    vi.restoreAllMocks();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** 75 web hosts (150 reads when terminating: two attributes each), the clients answered by the account. */
  async function account75(faults: string[] = []): Promise<SimulatedAccount> {
    const account = seedWithFaults(faults, { hostsPerTier: 75 });
    // The clients resolve their configuration (region, credentials) once, on the real clock, before the virtual one runs.
    const attach = (to: SimulatedAccount) => {
      const detachers = [attachSimulator({ ec2 } as never, to), attachSimulator({ ec2: once } as never, to)];
      return () => detachers.forEach((d) => d());
    };
    detach = attach(seedWithFaults());
    const someone = [...account.hosts.keys()][0]!;
    await Promise.all([ec2, once].map((c) => c.send(new DescribeInstanceAttributeCommand({ InstanceId: someone, Attribute: 'disableApiStop' })).catch(() => undefined)));
    detach();
    detach = attach(account);
    return account;
  }

  it('reads 150 attributes in 5 s paced, none throttled, and EC2 refuses the 101st when they go unpaced', async () => {
    // Prepare
    const account = await account75();
    const checks = facts(account, 'web').flatMap((h) => ['disableApiTermination', 'disableApiStop'].map((Attribute) => ({ InstanceId: h.id, Attribute })));
    expect(checks).toHaveLength(150);
    const read = (input: { InstanceId: string; Attribute: string }) => once.send(new DescribeInstanceAttributeCommand(input as never)).then(() => Date.now() - NOW);

    // Act: paced, then (the bucket refilled) the old way: four in flight, no pause
    const startedAt = await runOnVirtualClock(NOW, () => paced(checks, read));
    const unpaced = await runOnVirtualClock(NOW + 60_000, () => paced(checks, read, { burst: Number.POSITIVE_INFINITY, perSecond: 1 }).then(() => 'answered', (err: Error) => err.name));

    // Assess: a burst of 50, then one read every 50 ms; nothing over EC2's 100 + 20 a second
    expect(startedAt.slice(0, ATTRIBUTE_PACE.burst).every((ms) => ms === 0)).toBe(true);
    expect(startedAt.at(-1)).toBe(((150 - ATTRIBUTE_PACE.burst) / ATTRIBUTE_PACE.perSecond) * 1000);
    expect(startedAt.every((ms, i) => i < ATTRIBUTE_PACE.burst + (ms / 1000) * ATTRIBUTE_PACE.perSecond)).toBe(true);
    // Unpaced: EC2 answers 100, then refuses the reads in flight (at most the four) and the guard stops sending.
    expect(unpaced).toBe('RequestLimitExceeded');
    const refused = account.rateLimited.get('DescribeInstanceAttribute')!;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(ATTRIBUTE_CONCURRENCY);
    expect(account.calls.get('ec2:DescribeInstanceAttribute')).toBe(150 + 100 + refused);
  });

  it('reads every host of a terminating tier paced with the SDK client, throttled never, and still names the protected host', async () => {
    // Prepare
    const account = await account75(['protected:web-75@terminate']);

    // Act
    const refused = await runOnVirtualClock(NOW, () => refuseUnretirable('web', facts(account, 'web'), 'terminate', 'a scale-in').then(() => undefined, (err: Error) => err));

    // Assess
    expect(refused?.message).toMatch(/^tier web: web-75 \(i-[0-9a-f]+\) has termination protection \(DisableApiTermination\)/);
    expect(account.calls.get('ec2:DescribeInstanceAttribute')).toBe(150);
    expect(account.throttledCalls).toBe(0);
  });

  it("rides out another caller's burst with the SDK's own retry: throttled once, answered after its backoff", async () => {
    // Prepare: someone else in the account emptied the bucket; the SDK's jitter fixed at half its range
    const account = await account75();
    const [web1] = facts(account, 'web');
    await runOnVirtualClock(NOW, async () => {
      for (let i = 0; i < 100; i += 1) await once.send(new DescribeInstanceAttributeCommand({ InstanceId: web1!.id, Attribute: 'disableApiStop' }));
    });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);

    // Act
    const answeredAfter = await runOnVirtualClock(NOW, () => ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: web1!.id, Attribute: 'disableApiStop' })).then(() => Date.now() - NOW));

    // Assess: the standard retry's throttling backoff, random × 1 s for the first retry, by which 10 tokens came back
    expect(account.rateLimited.get('DescribeInstanceAttribute')).toBe(1);
    expect(answeredAfter).toBe(500);
  });

  it('refuses, before any read, more hosts than the reads budget covers, naming the figures and what to do', async () => {
    // Prepare: 6,026 hosts terminated are 12,052 reads; 50 + 20 × 600 s = 12,050 fit
    const account = await account75();
    const many: InstanceFacts[] = Array.from({ length: 6026 }, (_, i) => ({ id: `i-${String(i).padStart(17, '0')}`, name: `web-${i + 1}`, state: 'running', tags: new Map() }));

    // Act
    const refused = await runOnVirtualClock(NOW, () =>
      refuseUnretirable('web', many, 'terminate', 'a surge release', { retires: 'a surge release stops the old hosts', otherwise: 'x' }).then(() => undefined, (err: Error) => err),
    );

    // Assess
    expect(refused?.name).toBe('InvalidInputError');
    expect(refused?.message).toBe(
      'tier web: a surge release would read the protection of 6026 hosts, 12052 DescribeInstanceAttribute calls (one attribute of one host each: disableApiTermination and disableApiStop), ' +
        "which EC2's request rate (50 at once, then 20 a second) stretches over 601 s, past the 600 s a plan may spend on them (12050 calls); " +
        'release tier web with batch.strategy "rolling", which retires no host; nothing was changed',
    );
    expect(account.calls.get('ec2:DescribeInstanceAttribute') ?? 0).toBe(0);
  });

  it('adds up every tier of a plan before the first read: two surge tiers that fit alone are refused together, with the total, each tier and what to do', async () => {
    // Prepare: 3,500 old hosts in each of two surge tiers, 7,000 reads each (347.5 s alone), 14,000 together
    const account = await account75();
    const tier = (name: string): InstanceFacts[] =>
      Array.from({ length: 3500 }, (_, i) => ({ id: `i-${name}${String(i).padStart(12, '0')}`, name: `${name}-${i + 1}`, state: 'running', tags: new Map() }));

    // Act
    const refused = await runOnVirtualClock(NOW + 120_000, () =>
      refuseUnretirableTiers('a surge release', [
        { tier: 'web', hosts: tier('web'), policy: 'terminate' },
        { tier: 'api', hosts: tier('api'), policy: 'terminate' },
      ]).then(() => undefined, (err: Error) => err),
    );

    // Assess: refused with nothing read; rolling the larger (the first of equals) leaves 7,000 reads, which fit
    expect(refused?.message).toBe(
      'tiers web, api: a surge release would read the protection of 7000 hosts, 14000 DescribeInstanceAttribute calls (one attribute of one host each; ' +
        'tier web: 3500 hosts × disableApiTermination and disableApiStop, 7000 calls; tier api: 3500 hosts × disableApiTermination and disableApiStop, 7000 calls), ' +
        "which EC2's request rate (50 at once, then 20 a second) stretches over 698 s, past the 600 s a plan may spend on them (12050 calls); " +
        'release tier web with batch.strategy "rolling", which retires no host; nothing was changed',
    );
    expect(account.calls.get('ec2:DescribeInstanceAttribute') ?? 0).toBe(0);
  });

  it('counts the reads a policy needs: a stop skips hosts already stopping or stopped, a terminate reads both attributes of every host', () => {
    const hosts = (['running', 'stopped', 'stopping', 'pending'] as const).map((state, i) => ({ id: `i-${i}`, state }));

    const stop = protectionReads(hosts, 'stop');
    const terminate = protectionReads(hosts, 'terminate');

    expect(stop.map((r) => `${r.host.id} ${r.attribute}`)).toEqual(['i-0 disableApiStop', 'i-3 disableApiStop']);
    expect(terminate).toHaveLength(8);
    expect(terminate.slice(0, 2).map((r) => `${r.host.id} ${r.attribute}`)).toEqual(['i-0 disableApiTermination', 'i-0 disableApiStop']);
    // AWS's floor against the guard's pace, the same 2,000 reads: 100 then 20 a second, 50 then 20 a second.
    expect(readSeconds(2000, { burst: 100, perSecond: 20 })).toBe(95);
    expect(readSeconds(2000)).toBe(97.5);
    expect(readSeconds(40)).toBe(0);
  });

  it("keeps the reads budget within two thirds of the planners' timeout, and fits the largest scale-in in it", () => {
    expect(ATTRIBUTE_READ_BUDGET_SECONDS * 1.5).toBeLessThanOrEqual(RETIRE_GUARD_PLANNER_TIMEOUT.toSeconds());
    // A scale-in removes at most LIMITS.launchPerTier hosts; terminating, two reads each.
    expect((2 * LIMITS.launchPerTier - ATTRIBUTE_PACE.burst) / ATTRIBUTE_PACE.perSecond).toBeLessThanOrEqual(ATTRIBUTE_READ_BUDGET_SECONDS);
  });
});
