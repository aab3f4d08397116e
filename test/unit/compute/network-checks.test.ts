/**
 * The planners' network checks (lambdas/compute/network-checks.ts) against mocked ELBv2 and
 * EC2: each target group forwarded to by a listener (default action or rule, TargetGroupArn
 * or ForwardConfig), and the load balancer's security groups allowed in to the hosts' and out
 * to them on the target group's port. Each failure is DependencyCheckFailedError naming what
 * is wrong; every list call is paginated and kept within its per-call limit.
 */
import { fileURLToPath } from 'node:url';
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import {
  DescribeListenerCertificatesCommand,
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
import { allows, checkNetwork, checkTierNetwork, cidrCovers, LOAD_BALANCERS_PER_CALL, RECORDS_PER_CALL } from '../../../lambdas/compute/network-checks';
import { DependencyCheckFailedError } from '../../../lambdas/domain/contract/errors';
import { isHostTier, type HostTierDefinition } from '../../../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { acmMock, certificateArnFor, CERTIFICATE_NAMES, LB_SECURITY_GROUP, lbArnFor, lbDnsFor, mockWorkingNetwork, route53Mock, VPC_ID } from './network-fixture';

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
    await expect(checkNetwork(web, [group()])).resolves.toEqual({ listeners: 1, securityGroups: 2, certificates: 1, records: 2 });
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
    await expect(checkNetwork(withoutHostGroups, [group()])).resolves.toEqual({ listeners: 1, securityGroups: 0, certificates: 1, records: 0 });
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
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: LB_ARN, VpcId: VPC_ID, Type: 'network', SecurityGroups: [], DNSName: lbDnsFor(LB_ARN) }] });
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

describe('certificates of the HTTPS listener', () => {
  const DOMAIN = (web.traffic as { domain: { names: string[]; hostedZoneId: string; minCertificateDays: number } }).domain;
  const LISTENER_ARN = `${LB_ARN}/listener`;
  const CERT = certificateArnFor(LISTENER_ARN);
  const DAY = 24 * 3600 * 1000;
  const tierWith = (domain: object | undefined): HostTierDefinition => ({ ...web, traffic: { ...(web.traffic as object), domain } as HostTierDefinition['traffic'] });
  const certificate = (extra: object) =>
    acmMock.on(DescribeCertificateCommand).callsFake((input: { CertificateArn: string }) => ({
      Certificate: { CertificateArn: input.CertificateArn, Status: 'ISSUED', DomainName: 'shop.example.com', SubjectAlternativeNames: CERTIFICATE_NAMES, NotAfter: new Date(Date.now() + 200 * DAY), ...extra },
    }));

  it('reads the listener certificates (PageSize 400) and describes each certificate, canonical web declaring its names', async () => {
    expect(DOMAIN.names.length).toBeGreaterThan(0);
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ certificates: 1 });
    expect(elbMock.commandCalls(DescribeListenerCertificatesCommand)[0]!.args[0].input).toEqual({ ListenerArn: LISTENER_ARN, PageSize: 400 });
    expect(acmMock.commandCalls(DescribeCertificateCommand).map((c) => c.args[0].input.CertificateArn)).toEqual([CERT]);
  });

  it('describes a certificate once though it is the default, in the certificate list and on a later page', async () => {
    elbMock.on(DescribeListenersCommand).resolves({
      Listeners: [{ ListenerArn: LISTENER_ARN, Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERT }], DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }] }],
    });
    elbMock
      .on(DescribeListenerCertificatesCommand)
      .resolvesOnce({ Certificates: [{ CertificateArn: CERT, IsDefault: true }], NextMarker: 'c2' })
      .resolvesOnce({ Certificates: [{ CertificateArn: CERT, IsDefault: false }] });
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ certificates: 1 });
    expect(elbMock.commandCalls(DescribeListenerCertificatesCommand)[1]!.args[0].input).toMatchObject({ Marker: 'c2' });
    expect(acmMock.commandCalls(DescribeCertificateCommand)).toHaveLength(1);
  });

  it.each(['PENDING_VALIDATION', 'EXPIRED', 'REVOKED', 'INACTIVE'])('refuses a certificate %s, naming it and the listener, before reading security groups', async (status) => {
    certificate({ Status: status });
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`certificate ${CERT} is ${status}, not ISSUED`);
    expect(err.message).toContain(`listener HTTPS:443 (${LISTENER_ARN})`);
    expect(err.message).toContain('nothing was launched');
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(0);
  });

  it('refuses a certificate expiring within the declared days, and passes it when fewer are declared', async () => {
    certificate({ NotAfter: new Date(Date.now() + 10 * DAY) });
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`certificate ${CERT} expires`);
    expect(err.message).toContain('within the 30');
    await expect(checkNetwork(tierWith({ ...DOMAIN, minCertificateDays: 9 }), [group()])).resolves.toMatchObject({ certificates: 1 });
  });

  it('checks the 30 days of the default without a declared domain, and names no domain', async () => {
    certificate({ NotAfter: new Date(Date.now() + 29 * DAY), SubjectAlternativeNames: ['other.example.org'], DomainName: 'other.example.org' });
    expect((await refusal(checkNetwork(tierWith(undefined), [group()]))).message).toContain('within the 30');
    certificate({ NotAfter: new Date(Date.now() + 31 * DAY), SubjectAlternativeNames: ['other.example.org'], DomainName: 'other.example.org' });
    await expect(checkNetwork(tierWith(undefined), [group()])).resolves.toMatchObject({ certificates: 1, records: 0 });
    expect(route53Mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('does not judge a certificate the shared listener serves for other names: its expiry is not this tier\'s', async () => {
    const other = CERT.replace(/1$/, '3');
    elbMock.on(DescribeListenerCertificatesCommand).resolves({ Certificates: [{ CertificateArn: CERT, IsDefault: true }, { CertificateArn: other, IsDefault: false }] });
    acmMock.on(DescribeCertificateCommand).callsFake((input: { CertificateArn: string }) =>
      input.CertificateArn === CERT
        ? { Certificate: { CertificateArn: CERT, Status: 'ISSUED', DomainName: 'shop.example.com', SubjectAlternativeNames: ['shop.example.com', 'www.shop.example.com'], NotAfter: new Date(Date.now() + 90 * DAY) } }
        : { Certificate: { CertificateArn: other, Status: 'ISSUED', DomainName: 'reports.example.org', SubjectAlternativeNames: ['reports.example.org'], NotAfter: new Date(Date.now() + 2 * DAY) } },
    );
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ certificates: 2 });
    // Without a declared domain, only the listener's default is judged.
    await expect(checkNetwork(tierWith(undefined), [group()])).resolves.toMatchObject({ certificates: 2 });
  });

  it('refuses certificates that do not cover a declared name, listing their names', async () => {
    certificate({ DomainName: 'shop.example.com', SubjectAlternativeNames: ['shop.example.com'] });
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain('no certificate covers www.shop.example.com');
    expect(err.message).toContain(`${CERT}: shop.example.com`);
  });

  it('passes names covered between two certificates of the listener (served by SNI)', async () => {
    const second = CERT.replace(/1$/, '2');
    elbMock.on(DescribeListenerCertificatesCommand).resolves({ Certificates: [{ CertificateArn: CERT, IsDefault: true }, { CertificateArn: second, IsDefault: false }] });
    acmMock.on(DescribeCertificateCommand).callsFake((input: { CertificateArn: string }) => {
      const name = input.CertificateArn === CERT ? 'shop.example.com' : 'www.shop.example.com';
      return { Certificate: { CertificateArn: input.CertificateArn, Status: 'ISSUED', DomainName: name, SubjectAlternativeNames: [name], NotAfter: new Date(Date.now() + 90 * DAY) } };
    });
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ certificates: 2 });
  });

  it('refuses when a certificate covering a name is not from ACM (IAM server certificate): it cannot be checked', async () => {
    const iam = 'arn:aws:iam::111122223333:server-certificate/www';
    elbMock.on(DescribeListenerCertificatesCommand).resolves({ Certificates: [{ CertificateArn: iam, IsDefault: true }] });
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`not from ACM, unchecked: ${iam}`);
    expect(acmMock.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
  });

  it.each(['ResourceNotFoundException', 'InvalidArnException'])('turns ACM %s into DependencyCheckFailedError naming the certificate', async (name) => {
    acmMock.on(DescribeCertificateCommand).rejects(Object.assign(new Error('Could not find certificate'), { name }));
    expect((await refusal(checkNetwork(web, [group()]))).message).toContain(`certificate ${CERT} not found in ACM`);
  });

  it('lets any other ACM error through as it is (the task retries it)', async () => {
    acmMock.on(DescribeCertificateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(checkNetwork(web, [group()])).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('refuses declared names when only an HTTP listener forwards to the tier; without names, reads no certificate', async () => {
    elbMock.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: 'L80', Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }] }] });
    expect((await refusal(checkNetwork(web, [group()]))).message).toContain('no HTTPS or TLS listener forwards to its target groups (listeners: HTTP:80 (L80))');
    await expect(checkNetwork(withoutHostGroups, [group()])).resolves.toMatchObject({ certificates: 0 });
    expect(elbMock.commandCalls(DescribeListenerCertificatesCommand)).toHaveLength(0);
    expect(acmMock.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
  });
});

describe('records in the declared hosted zone', () => {
  const DOMAIN = (web.traffic as { domain: { names: string[]; hostedZoneId: string } }).domain;
  const ZONE = DOMAIN.hostedZoneId;
  const tierWith = (domain: object): HostTierDefinition => ({ ...web, traffic: { ...(web.traffic as object), domain } as HostTierDefinition['traffic'] });
  const alias = (name: string, dns: string, type = 'A') => ({ Name: `${name}.`, Type: type, AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: dns, EvaluateTargetHealth: true } });

  it('asks for each record from its name and type A, MaxItems RECORDS_PER_CALL, in the declared zone', async () => {
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ records: DOMAIN.names.length });
    expect(route53Mock.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual(
      DOMAIN.names.map((name) => ({ HostedZoneId: ZONE, StartRecordName: name, StartRecordType: 'A', MaxItems: RECORDS_PER_CALL })),
    );
  });

  it('checks `records` instead of the names when declared', async () => {
    await checkNetwork(tierWith({ ...DOMAIN, records: ['api.shop.example.com'] }), [group()]);
    expect(route53Mock.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input.StartRecordName)).toEqual(['api.shop.example.com']);
  });

  it('refuses a record absent from the zone (the listing starts at the next name), naming record and zone', async () => {
    route53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: 'zzz.shop.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }], IsTruncated: false, MaxItems: 10 });
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`record ${DOMAIN.names[0]} (A or AAAA) not found in hosted zone ${ZONE}`);
    expect(err.message).toContain('nothing was launched');
  });

  it('refuses a record that aliases another load balancer, or is no alias, naming the record and the load balancer', async () => {
    route53Mock.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => ({
      ResourceRecordSets: [alias(input.StartRecordName, 'dualstack.other-lb-123.us-east-1.elb.amazonaws.com.')],
      IsTruncated: false,
    }));
    const err = await refusal(checkNetwork(web, [group()]));
    expect(err.message).toContain(`record ${DOMAIN.names[0]} in hosted zone ${ZONE} does not alias load balancer`);
    expect(err.message).toContain(lbDnsFor(LB_ARN));
    expect(err.message).toContain('dualstack.other-lb-123');

    route53Mock.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => ({
      ResourceRecordSets: [{ Name: `${input.StartRecordName}.`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '198.51.100.7' }] }],
      IsTruncated: false,
    }));
    expect((await refusal(checkNetwork(web, [group()]))).message).toContain('not an alias (198.51.100.7)');
  });

  it('passes an AAAA alias written in capitals without dualstack. or trailing dot', async () => {
    route53Mock.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => ({
      ResourceRecordSets: [alias(input.StartRecordName, lbDnsFor(LB_ARN).toUpperCase(), 'AAAA')],
      IsTruncated: false,
    }));
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ records: DOMAIN.names.length });
  });

  it('follows NextRecordName/NextRecordIdentifier while the next record has the same name (weighted records)', async () => {
    const name = DOMAIN.names[0]!;
    route53Mock.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordIdentifier?: string; StartRecordName: string }) =>
      input.StartRecordIdentifier === 'blue'
        ? { ResourceRecordSets: [{ ...alias(name, `dualstack.${lbDnsFor(LB_ARN)}.`), SetIdentifier: 'blue', Weight: 1 }], IsTruncated: false }
        : input.StartRecordName === name
          ? { ResourceRecordSets: [{ ...alias(name, 'dualstack.old-lb.us-east-1.elb.amazonaws.com.'), SetIdentifier: 'green', Weight: 1 }], IsTruncated: true, NextRecordName: `${name}.`, NextRecordType: 'A', NextRecordIdentifier: 'blue' }
          : { ResourceRecordSets: [alias(input.StartRecordName, `dualstack.${lbDnsFor(LB_ARN)}.`)], IsTruncated: false },
    );
    await expect(checkNetwork(web, [group()])).resolves.toMatchObject({ records: DOMAIN.names.length });
    const calls = route53Mock.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input);
    expect(calls[1]).toMatchObject({ StartRecordName: `${name}.`, StartRecordType: 'A', StartRecordIdentifier: 'blue' });
  });

  it('stops at a truncated page whose next record has another name', async () => {
    route53Mock.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => ({
      ResourceRecordSets: [alias(input.StartRecordName, `dualstack.${lbDnsFor(LB_ARN)}.`)],
      IsTruncated: true,
      NextRecordName: 'zzz.shop.example.com.',
      NextRecordType: 'A',
    }));
    await checkNetwork(web, [group()]);
    expect(route53Mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(DOMAIN.names.length);
  });

  it('turns NoSuchHostedZone into DependencyCheckFailedError naming the zone', async () => {
    route53Mock.on(ListResourceRecordSetsCommand).rejects(Object.assign(new Error(`No hosted zone found with ID: ${ZONE}`), { name: 'NoSuchHostedZone' }));
    expect((await refusal(checkNetwork(web, [group()]))).message).toContain(`hosted zone ${ZONE} not found`);
  });
});
