/**
 * Launch Hosts is safe to retry and to redrive: against the simulated EC2 (ClientToken
 * semantics as AWS documents them), a second call launches nothing that exists, and a call
 * whose answer was lost (its instances not yet visible by tag) gets the same reservation back.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { clientToken, launchGroups, launchHosts, LAUNCH_GROUP_SIZE } from '../../../lambdas/compute/launching';
import { planAllocation, balance } from '../../../lambdas/compute/allocation';
import type { ProvisionTier } from '../../../lambdas/domain/contract/payloads';
import { acm } from '../../../lambdas/shared/aws/acm';
import { ec2 } from '../../../lambdas/shared/aws/ec2';
import { elbv2 } from '../../../lambdas/shared/aws/elbv2';
import { rds } from '../../../lambdas/shared/aws/rds';
import { route53 } from '../../../lambdas/shared/aws/route53';
import { ssm } from '../../../lambdas/shared/aws/ssm';
import { LAUNCH_GROUP_TAG, LAUNCHED_BY_TAG } from '../../../lambdas/domain/contract/tags';
import { LaunchFailedError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { noFaults, parseFaults } from '../../../lib/simulator/faults';
import { faultScope, seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));

let account: SimulatedAccount;
let detach: () => void;

function useAccount(faults: string[] = []): void {
  account = seedAccount(canonical, noFaults(), { empty: true });
  account.useFaults(parseFaults(faults, new Set(), new Set(account.alarms.keys()), undefined, faultScope(canonical)));
  detach = attachSimulator({ ec2, elbv2, ssm, rds, acm, route53 } as never, account);
}

async function webTier(count = 2): Promise<ProvisionTier> {
  const plan = await planAllocation({ environment: canonical, input: { tiers: { web: count } }, execution: 'plan' });
  return plan.tiers.find((t) => t.spec.name === 'web')!;
}

const launchedBy = (execution: string) => [...account.hosts.values()].filter((h) => h.tags.get(LAUNCHED_BY_TAG) === execution);

useSimulatedAwsEnvironment();

afterEach(() => {
  detach?.();
});

describe('launchHosts', () => {
  it('launches the plan once: a retried task finds the groups by tag and sends no RunInstances', async () => {
    useAccount();
    const tier = await webTier();

    const first = await launchHosts({ execution: 'exec-1', tier });
    const callsAfterFirst = account.calls.get('ec2:RunInstances');
    const retried = await launchHosts({ execution: 'exec-1', tier });

    expect(first).toMatchObject({ done: true, launched: 2, requested: 2 });
    expect(retried).toMatchObject({ done: true, launched: 2 });
    expect(account.calls.get('ec2:RunInstances')).toBe(callsAfterFirst);
    expect(launchedBy('exec-1')).toHaveLength(2);
  });

  it('a call whose answer was lost gets the same reservation back from its ClientToken, launching no duplicate', async () => {
    useAccount();
    const tier = await webTier();
    await launchHosts({ execution: 'exec-1', tier });
    const firstIds = launchedBy('exec-1').map((h) => h.id).sort();
    // DescribeInstances is eventually consistent: the retry does not see the launch-group tags yet.
    for (const h of launchedBy('exec-1')) h.tags.delete(LAUNCH_GROUP_TAG);
    const callsBefore = account.calls.get('ec2:RunInstances') ?? 0;

    await launchHosts({ execution: 'exec-1', tier });

    expect((account.calls.get('ec2:RunInstances') ?? 0) - callsBefore, 'sent again').toBe(2);
    expect(launchedBy('exec-1').map((h) => h.id).sort(), 'the same instances, no new ones').toEqual(firstIds);
  });

  it('another execution launches its own hosts (a different token)', async () => {
    useAccount();
    const tier = await webTier();
    await launchHosts({ execution: 'exec-1', tier });
    await launchHosts({ execution: 'exec-2', tier });

    expect(launchedBy('exec-1')).toHaveLength(2);
    expect(launchedBy('exec-2')).toHaveLength(2);
  });

  it('without capacity in a zone, tries the tier\'s other instance type, then the other subnet', async () => {
    useAccount(['launch-fail:web@us-east-1a']);
    const tier = await webTier();

    await launchHosts({ execution: 'exec-1', tier });

    expect(launchedBy('exec-1').map((h) => h.availabilityZone)).toEqual(['us-east-1b', 'us-east-1b']);
  });

  it('without capacity anywhere: LaunchFailedError naming every zone and type tried', async () => {
    useAccount(['launch-fail:web']);
    const tier = await webTier();

    const failure = await launchHosts({ execution: 'exec-1', tier }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(LaunchFailedError);
    expect((failure as Error).message).toMatch(/us-east-1a: InsufficientInstanceCapacity; us-east-1a \(m6i\.large\).*us-east-1b/);
    expect(launchedBy('exec-1')).toHaveLength(0);
  });
});

describe('launch groups and placement', () => {
  it('cuts each subnet into groups of at most LAUNCH_GROUP_SIZE, deterministically', () => {
    const groups = launchGroups([LAUNCH_GROUP_SIZE + 1, 0, 3]);

    expect(groups).toEqual([
      { key: '0-0', subnetIndex: 0, count: LAUNCH_GROUP_SIZE },
      { key: '0-1', subnetIndex: 0, count: 1 },
      { key: '2-0', subnetIndex: 2, count: 3 },
    ]);
    expect(launchGroups([LAUNCH_GROUP_SIZE + 1, 0, 3])).toEqual(groups);
  });

  it('derives a 64-character token that changes with the execution, tier, group and attempt', () => {
    const token = clientToken('exec', 'web', '0-0', { subnetIndex: 0 });

    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(clientToken('exec', 'web', '0-0', { subnetIndex: 0 })).toBe(token);
    for (const other of [
      clientToken('exec-2', 'web', '0-0', { subnetIndex: 0 }),
      clientToken('exec', 'middle', '0-0', { subnetIndex: 0 }),
      clientToken('exec', 'web', '0-1', { subnetIndex: 0 }),
      clientToken('exec', 'web', '0-0', { subnetIndex: 1 }),
      clientToken('exec', 'web', '0-0', { subnetIndex: 0, instanceType: 'm6i.large' }),
    ]) {
      expect(other).not.toBe(token);
    }
  });

  it('balances new hosts so the tier ends evenly spread over its subnets', () => {
    expect(balance(2, 2, [0, 0])).toEqual([1, 1]);
    // Subnet 0 already holds 2 of 4: both new ones go to subnet 1.
    expect(balance(2, 4, [2, 0])).toEqual([0, 2]);
    // Scale out 3 onto [1, 0, 0] towards 4 in all.
    expect(balance(3, 4, [1, 0, 0])).toEqual([1, 1, 1]);
    // More than its share already in subnet 0: the remainder still sums to what is missing.
    expect(balance(1, 4, [3, 0])).toEqual([0, 1]);
  });
});
