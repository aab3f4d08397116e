/**
 * The planners' network checks (lambdas/compute/network-checks.ts) against mocked ELBv2 and
 * EC2: each target group forwarded to by a listener (default action or rule, TargetGroupArn
 * or ForwardConfig), and the load balancer's security groups allowed in to the hosts' and out
 * to them on the target group's port. Each failure is DependencyCheckFailedError naming what
 * is wrong; every list call is paginated and kept within its per-call limit.
 */
import { fileURLToPath } from 'node:url';
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type DescribeListenersCommandInput,
  type DescribeLoadBalancersCommandInput,
  type DescribeRulesCommandInput,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { allows, checkNetwork, checkTierNetwork, cidrCovers, LOAD_BALANCERS_PER_CALL } from '../../../lambdas/compute/network-checks';
import { DependencyCheckFailedError } from '../../../lambdas/domain/contract/errors';
import { isHostTier, type HostTierDefinition } from '../../../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { LB_SECURITY_GROUP, lbArnFor, mockWorkingNetwork, VPC_ID } from './network-fixture';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ec2Mock = mockClient(EC2Client);

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));
const web = canonical.tiers.filter(isHostTier).find((t) => t.name === 'web')!;
const HOST_GROUP = (web.traffic as { hostSecurityGroups: string[] }).hostSecurityGroups[0]!;
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/canonical-web/0123456789abcdef';
const LB_ARN = lbArnFor(TG_ARN);
const group = (extra: Partial<TargetGroup> = {}): TargetGroup => ({ TargetGroupArn: TG_ARN, TargetGroupName: 'canonical-web', Port: 80, VpcId: VPC_ID, LoadBalancerArns: [LB_ARN], ...extra });
const withoutHostGroups: HostTierDefinition = { ...web, traffic: { kind: 'target-group', targetGroups: ['canonical-web'], port: 80 } };

/** The check's refusal, or a failure of the test when it passes. */
async function refusal(check: Promise<unknown>): Promise<DependencyCheckFailedError> {
  const err = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DependencyCheckFailedError);
  return err as DependencyCheckFailedError;
}

/** The hosts' group answered with these inbound rules (the load balancer's keeps all traffic out). */
function hostRules(ingress: IpPermission[], lbEgress: IpPermission[] = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]): void {
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      { GroupId: HOST_GROUP, VpcId: VPC_ID, IpPermissions: ingress, IpPermissionsEgress: [] },
      { GroupId: LB_SECURITY_GROUP, VpcId: VPC_ID, IpPermissions: [], IpPermissionsEgress: lbEgress },
    ],
  });
}

beforeEach(() => {
  elbMock.reset();
  ec2Mock.reset();
  mockWorkingNetwork(elbMock, ec2Mock);
});

describe('listeners', () => {
  it('passes a target group a listener forwards to by default (TargetGroupArn), without reading rules', async () => {
    await expect(checkNetwork(web, [group()])).resolves.toEqual({ listeners: 1, securityGroups: 2 });
    expect(elbMock.commandCalls(DescribeRulesCommand)).toHaveLength(0);
    expect(elbMock.commandCalls(DescribeListenersCommand)[0]!.args[0].input).toMatchObject({ LoadBalancerArn: LB_ARN, PageSize: 400 });
  });

  it('passes a target group only a rule forwards to, by ForwardConfig.TargetGroups, found on the rules\' second page', async () => {
    elbMock.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: 'L1', Port: 443, Protocol: 'HTTPS', DefaultActions: [{ Type: 'fixed-response' }] }] });
    elbMock.on(DescribeRulesCommand).callsFake((input: DescribeRulesCommandInput) =>
      input.Marker === 'm2'
        ? { Rules: [{ RuleArn: 'R2', Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_ARN, Weight: 1 }] } }] }] }
        : { Rules: [{ RuleArn: 'R1', Actions: [{ Type: 'forward', TargetGroupArn: 'arn:other' }] }], NextMarker: 'm2' },
    );
    await expect(checkNetwork(withoutHostGroups, [group()])).resolves.toEqual({ listeners: 1, securityGroups: 0 });
    expect(elbMock.commandCalls(DescribeRulesCommand)).toHaveLength(2);
  });

  it('finds a forwarding listener on the second page of DescribeListeners', async () => {
    elbMock.on(DescribeListenersCommand).callsFake((input: DescribeListenersCommandInput) =>
      input.Marker === 'p2'
        ? { Listeners: [{ ListenerArn: 'L2', Port: 443, Protocol: 'HTTPS', DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }] }] }
        : { Listeners: [{ ListenerArn: 'L1', Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'redirect' }] }], NextMarker: 'p2' },
    );
    await expect(checkNetwork(withoutHostGroups, [group()])).resolves.toMatchObject({ listeners: 1 });
  });

  it('refuses a target group no listener forwards to, naming it and each listener seen', async () => {
    elbMock.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: 'arn:listener/app/x/1/2', Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'redirect' }] }] });

    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain('no listener forwards to target group canonical-web');
    expect(err.message).toContain('HTTP:80 (arn:listener/app/x/1/2)');
    expect(err.message).toContain('nothing was launched');
    // Refused before any security group is read.
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(0);
  });

  it('refuses a load balancer with no listener at all', async () => {
    elbMock.on(DescribeListenersCommand).resolves({ Listeners: [] });
    expect((await refusal(checkNetwork(web, [group()]))).message).toContain('listeners: none');
  });

  it('refuses a target group attached to no load balancer, without describing any', async () => {
    const err = await refusal(checkNetwork(web, [group({ LoadBalancerArns: [] })]));
    expect(err.message).toContain('target group canonical-web is not attached to any load balancer');
    expect(elbMock.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(0);
  });

  it('asks DescribeLoadBalancers at most 20 ARNs a call (45 load balancers: 3 calls)', async () => {
    const groups = Array.from({ length: 45 }, (_, i) => group({ TargetGroupArn: `${TG_ARN}${i}`, TargetGroupName: `tg-${i}`, LoadBalancerArns: [lbArnFor(`${TG_ARN}${i}`)] }));
    await checkNetwork(withoutHostGroups, groups);
    const sizes = elbMock.commandCalls(DescribeLoadBalancersCommand).map((c) => (c.args[0].input as DescribeLoadBalancersCommandInput).LoadBalancerArns!.length);
    expect(LOAD_BALANCERS_PER_CALL).toBe(20);
    expect(sizes).toEqual([20, 20, 5]);
  });

  it('turns LoadBalancerNotFound into DependencyCheckFailedError naming the load balancer', async () => {
    elbMock.on(DescribeLoadBalancersCommand).rejects(Object.assign(new Error('One or more load balancers not found'), { name: 'LoadBalancerNotFoundException' }));
    expect((await refusal(checkNetwork(web, [group()]))).message).toContain('load balancer app/canonical-web/0123456789abcdef not found');
  });

  it('reads the target groups first: a missing one is refused as before (TargetGroupNotFound)', async () => {
    elbMock.on(DescribeTargetGroupsCommand).rejects(Object.assign(new Error('One or more target groups not found'), { name: 'TargetGroupNotFoundException' }));
    expect((await refusal(checkTierNetwork(web))).message).toContain('target group(s) canonical-web not found');
    expect(elbMock.commandCalls(DescribeListenersCommand)).toHaveLength(0);
  });
});

describe('security groups', () => {
  it('asks for the hosts\' and the load balancer\'s groups in one paginated call, without MaxResults', async () => {
    await checkNetwork(web, [group()]);
    const calls = ec2Mock.commandCalls(DescribeSecurityGroupsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ GroupIds: [HOST_GROUP, LB_SECURITY_GROUP] });
  });

  it('does not read security groups when the tier declares none', async () => {
    await checkNetwork(withoutHostGroups, [group()]);
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DescribeVpcsCommand)).toHaveLength(0);
  });

  it.each<[string, IpPermission]>([
    ['tcp 80 from the load balancer\'s group', { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }],
    ['a range 1-1024 from it', { IpProtocol: 'tcp', FromPort: 1, ToPort: 1024, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }],
    ['protocol "6" (tcp by number)', { IpProtocol: '6', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }],
    ['all protocols (-1), no ports', { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }],
    ['a CIDR covering the VPC (10.0.0.0/8)', { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    ['0.0.0.0/0', { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  ])('passes an inbound rule of %s', async (_, rule) => {
    hostRules([rule]);
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ securityGroups: 2 });
  });

  it.each<[string, IpPermission]>([
    ['another port', { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }],
    ['udp', { IpProtocol: 'udp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }],
    ['another group', { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-0ccccccccccccccc1' }] }],
    ['a CIDR covering only part of the VPC (10.0.1.0/24)', { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.1.0/24' }] }],
    ['a prefix list (not resolved)', { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }] }],
  ])('refuses an inbound rule of %s only, naming both security groups', async (_, rule) => {
    hostRules([rule]);
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`security group ${HOST_GROUP} (the hosts') allows no inbound tcp 80`);
    expect(err.message).toContain(`security group ${LB_SECURITY_GROUP}`);
  });

  it('refuses a load balancer whose groups let nothing out to the hosts on the port', async () => {
    hostRules([{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }], [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`security group ${LB_SECURITY_GROUP} allows no outbound tcp 80 to security group ${HOST_GROUP}`);
  });

  it('skips a load balancer with no security group (a Network Load Balancer created without one)', async () => {
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: LB_ARN, VpcId: VPC_ID, Type: 'network', SecurityGroups: [] }] });
    hostRules([]);
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ listeners: 1 });
  });

  it('turns InvalidGroup.NotFound into DependencyCheckFailedError naming the groups', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).rejects(Object.assign(new Error(`The security group '${HOST_GROUP}' does not exist`), { name: 'InvalidGroup.NotFound' }));
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`The security group '${HOST_GROUP}' does not exist`);
  });

  it('follows NextToken across DescribeSecurityGroups pages', async () => {
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce({ SecurityGroups: [{ GroupId: LB_SECURITY_GROUP, IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }], NextToken: 't2' })
      .resolvesOnce({ SecurityGroups: [{ GroupId: HOST_GROUP, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }] }] });
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ securityGroups: 2 });
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)[1]!.args[0].input).toMatchObject({ NextToken: 't2' });
  });
});

describe('rules, one at a time', () => {
  it('allows: tcp in range, -1 without ports, a covering CIDR; not udp, not a port outside', () => {
    const vpc = ['10.0.0.0/16'];
    expect(allows({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-1' }] }, 80, ['sg-1'], vpc)).toBe(true);
    expect(allows({ IpProtocol: 'tcp', FromPort: 81, ToPort: 90, UserIdGroupPairs: [{ GroupId: 'sg-1' }] }, 80, ['sg-1'], vpc)).toBe(false);
    expect(allows({ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-1' }] }, 80, ['sg-1'], vpc)).toBe(true);
    expect(allows({ IpProtocol: 'udp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-1' }] }, 80, ['sg-1'], vpc)).toBe(false);
    expect(allows({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }, 80, [], vpc)).toBe(true);
    // Every CIDR block of the VPC must be covered, a secondary one too.
    expect(allows({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }, 80, [], [...vpc, '100.64.0.0/16'])).toBe(false);
    expect(allows({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }, 80, [], [])).toBe(false);
  });

  it('cidrCovers: containment by prefix, /0 covers all, malformed covers nothing', () => {
    expect(cidrCovers('10.0.0.0/8', '10.1.0.0/16')).toBe(true);
    expect(cidrCovers('10.1.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrCovers('0.0.0.0/0', '192.168.0.0/24')).toBe(true);
    expect(cidrCovers('192.168.1.0/24', '192.168.0.0/24')).toBe(false);
    expect(cidrCovers('10.0.0.0/33', '10.0.0.0/16')).toBe(false);
    expect(cidrCovers('256.0.0.0/8', '10.0.0.0/16')).toBe(false);
  });
});
