/**
 * The simulated network (lib/simulator/services/network.ts, elbv2.ts, ec2.ts): seeded so
 * that the canonical environment's checks pass, refusing what ELBv2 and EC2 refuse, and its
 * faults (`listener-missing:TIER`, `sg-blocked:TIER`) failing the planners' checks through
 * the handlers' own SDK clients, before anything is launched.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planAllocation } from '../../../lambdas/compute/allocation';
import { planScaleOut } from '../../../lambdas/compute/plan-scale-out';
import { DependencyCheckFailedError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { ec2 } from '../../../lambdas/shared/aws/ec2';
import { elbv2 } from '../../../lambdas/shared/aws/elbv2';
import { rds } from '../../../lambdas/shared/aws/rds';
import { ssm } from '../../../lambdas/shared/aws/ssm';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { InvalidFaultError, noFaults, parseFaults } from '../../../lib/simulator/faults';
import { faultScope, seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { ec2 as ec2Api } from '../../../lib/simulator/services/ec2';
import { elbv2 as elbApi } from '../../../lib/simulator/services/elbv2';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));
const AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'ASIASIMULATED', AWS_SECRET_ACCESS_KEY: 'simulated' };

let account: SimulatedAccount;
let detach: (() => void) | undefined;
let savedEnv: Record<string, string | undefined>;

function useAccount(faults: string[] = [], options: { empty?: boolean } = { empty: true }): void {
  account = seedAccount(canonical, noFaults(), options);
  account.useFaults(parseFaults(faults, new Set(), new Set(account.alarms.keys()), undefined, faultScope(canonical)));
  detach = attachSimulator({ ec2, elbv2, ssm, rds } as never, account);
}

/** What a simulated call throws: its error name and message. */
function refusedBy(call: () => unknown): { name: string; message: string } {
  try {
    call();
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('the call was not refused');
}

beforeEach(() => {
  savedEnv = Object.fromEntries(Object.keys(AWS_ENV).map((k) => [k, process.env[k]]));
  Object.assign(process.env, AWS_ENV);
});

afterEach(() => {
  detach?.();
  detach = undefined;
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('the seeded network', () => {
  it('lets allocate plan every tier of the canonical environment, having read listeners and security groups', async () => {
    useAccount();
    const plan = await planAllocation({ environment: canonical, input: {}, execution: 'allocate-1' });
    expect(plan.tiers.map((t) => t.spec.name).sort()).toEqual(['middle', 'monitoring', 'web']);
    const lbs = elbApi.DescribeLoadBalancers!(account, {}) as { LoadBalancers: Array<{ SecurityGroups: string[] }> };
    // One load balancer per target-group tier (web, middle), each with its own security group.
    expect(lbs.LoadBalancers).toHaveLength(2);
  });

  it('answers the target groups with the load balancer they are attached to', () => {
    useAccount();
    const { TargetGroups } = elbApi.DescribeTargetGroups!(account, { Names: ['canonical-web'] }) as { TargetGroups: Array<{ LoadBalancerArns: string[] }> };
    expect(TargetGroups[0]!.LoadBalancerArns).toHaveLength(1);
    expect(TargetGroups[0]!.LoadBalancerArns[0]).toMatch(/:loadbalancer\/app\/canonical-web\//);
  });
});

describe('refusals, as ELBv2 and EC2 refuse', () => {
  beforeEach(() => useAccount());

  it('DescribeLoadBalancers: more than 20 ARNs (ValidationException), an unknown ARN (LoadBalancerNotFound), PageSize above 400', () => {
    const arns = Array.from({ length: 21 }, (_, i) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/${i}`);
    expect(refusedBy(() => elbApi.DescribeLoadBalancers!(account, { LoadBalancerArns: arns })).name).toBe('ValidationException');
    expect(refusedBy(() => elbApi.DescribeLoadBalancers!(account, { LoadBalancerArns: [arns[0]] })).name).toBe('LoadBalancerNotFoundException');
    expect(refusedBy(() => elbApi.DescribeLoadBalancers!(account, { PageSize: 401 })).name).toBe('ValidationException');
  });

  it('DescribeListeners: neither a load balancer nor listeners, an unknown load balancer, an unknown listener', () => {
    expect(refusedBy(() => elbApi.DescribeListeners!(account, {})).name).toBe('ValidationException');
    expect(refusedBy(() => elbApi.DescribeListeners!(account, { LoadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1' })).name).toBe(
      'LoadBalancerNotFoundException',
    );
    expect(refusedBy(() => elbApi.DescribeListeners!(account, { ListenerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2'] })).name).toBe(
      'ListenerNotFoundException',
    );
  });

  it('DescribeRules and DescribeListenerCertificates: an unknown listener (ListenerNotFound); the default rule is answered last', () => {
    expect(refusedBy(() => elbApi.DescribeRules!(account, { ListenerArn: 'arn:nope' })).name).toBe('ListenerNotFoundException');
    expect(refusedBy(() => elbApi.DescribeListenerCertificates!(account, { ListenerArn: 'arn:nope' })).name).toBe('ListenerNotFoundException');
    const [lb] = (elbApi.DescribeLoadBalancers!(account, {}) as { LoadBalancers: Array<{ LoadBalancerArn: string }> }).LoadBalancers;
    const [listener] = (elbApi.DescribeListeners!(account, { LoadBalancerArn: lb!.LoadBalancerArn }) as { Listeners: Array<{ ListenerArn: string }> }).Listeners;
    const { Rules } = elbApi.DescribeRules!(account, { ListenerArn: listener!.ListenerArn }) as { Rules: Array<{ IsDefault: boolean }> };
    expect(Rules.at(-1)!.IsDefault).toBe(true);
  });

  it('DescribeSecurityGroups: an unknown group (InvalidGroup.NotFound), MaxResults outside 5-1000; DescribeVpcs: an unknown VPC', () => {
    expect(refusedBy(() => ec2Api.DescribeSecurityGroups!(account, { GroupIds: ['sg-0ffffffffffffffff'] }))).toEqual({
      name: 'InvalidGroup.NotFound',
      message: "The security group 'sg-0ffffffffffffffff' does not exist",
    });
    expect(refusedBy(() => ec2Api.DescribeSecurityGroups!(account, { MaxResults: 4 })).name).toBe('ValidationException');
    expect(refusedBy(() => ec2Api.DescribeVpcs!(account, { VpcIds: ['vpc-0ffffffffffffffff'] })).name).toBe('InvalidVpcID.NotFound');
  });
});

describe('faults', () => {
  it('sg-blocked:web: allocate refuses the web tier, naming the hosts\' and the load balancer\'s security groups; nothing launched', async () => {
    useAccount(['sg-blocked:web']);
    const err = await planAllocation({ environment: canonical, input: {}, execution: 'allocate-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyCheckFailedError);
    expect((err as Error).message).toMatch(/^tier web: security group sg-0a1b2c3d4e5f60003 \(the hosts'\) allows no inbound tcp 80 from load balancer .*'s security group sg-/);
    expect(account.hosts.size).toBe(0);
  });

  it('listener-missing:middle: scale-out of middle refuses, naming the target group and "listeners: none"; web still plans', async () => {
    useAccount(['listener-missing:middle'], {});
    const err = await planScaleOut({ environment: canonical, input: { tier: 'middle', add: 1 }, execution: 'scale-out-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyCheckFailedError);
    expect((err as Error).message).toContain('no listener forwards to target group canonical-middle');
    expect((err as Error).message).toContain('listeners: none');
    await expect(planScaleOut({ environment: canonical, input: { tier: 'web', add: 1 }, execution: 'scale-out-2' })).resolves.toMatchObject({ launchCount: 1 });
  });

  it('refuses a network fault on a tier that cannot have it', () => {
    const scope = faultScope(canonical);
    expect(() => parseFaults(['sg-blocked:monitoring'], new Set(), new Set(), undefined, scope)).toThrow(InvalidFaultError);
    expect(() => parseFaults(['listener-missing:monitoring'], new Set(), new Set(), undefined, scope)).toThrow(/has no target groups/);
    expect(() => parseFaults(['listener-missing:nope'], new Set(), new Set(), undefined, scope)).toThrow(/no host tier is named "nope"/);
  });
});
