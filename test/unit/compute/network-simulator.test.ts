/**
 * The simulated network (lib/simulator/services/network.ts, elbv2.ts, ec2.ts): seeded so
 * that the canonical environment's checks pass, refusing what ELBv2 and EC2 refuse, and its
 * faults (`listener-missing:TIER`, `sg-blocked:TIER`, `certificate-expiring:TIER`,
 * `certificate-pending:TIER`, `record-missing:TIER`) failing the planners' checks through
 * the handlers' own SDK clients, before anything is launched.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planAllocation } from '../../../lambdas/compute/allocation';
import { planScaleOut } from '../../../lambdas/compute/plan-scale-out';
import { DependencyCheckFailedError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { acm } from '../../../lambdas/shared/aws/acm';
import { ec2 } from '../../../lambdas/shared/aws/ec2';
import { elbv2 } from '../../../lambdas/shared/aws/elbv2';
import { rds } from '../../../lambdas/shared/aws/rds';
import { route53 } from '../../../lambdas/shared/aws/route53';
import { ssm } from '../../../lambdas/shared/aws/ssm';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { InvalidFaultError, noFaults, parseFaults } from '../../../lib/simulator/faults';
import { faultScope, seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { ec2 as ec2Api } from '../../../lib/simulator/services/ec2';
import { acm as acmApi } from '../../../lib/simulator/services/acm';
import { elbv2 as elbApi } from '../../../lib/simulator/services/elbv2';
import { networkOf } from '../../../lib/simulator/services/network';
import { route53 as route53Api } from '../../../lib/simulator/services/route53';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));

let account: SimulatedAccount;
let detach: (() => void) | undefined;

function useAccount(faults: string[] = [], options: { empty?: boolean } = { empty: true }): void {
  account = seedAccount(canonical, noFaults(), options);
  account.useFaults(parseFaults(faults, new Set(), new Set(account.alarms.keys()), undefined, faultScope(canonical)));
  detach = attachSimulator({ ec2, elbv2, ssm, rds, acm, route53 } as never, account);
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

useSimulatedAwsEnvironment();

afterEach(() => {
  detach?.();
  detach = undefined;
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

describe('ACM and Route 53, as their API references describe them', () => {
  beforeEach(() => useAccount());
  const webCertificate = () => {
    const lb = [...networkOf(account).loadBalancers.values()].find((l) => l.tier === 'web')!;
    const listener = [...networkOf(account).listeners.values()].find((l) => l.loadBalancerArn === lb.arn)!;
    return { lb, listener, arn: listener.certificates[0]!.arn };
  };
  const zone = ((canonical.tiers.find((t) => t.name === 'web') as { traffic: unknown }).traffic as { domain: { hostedZoneId: string; names: string[] } }).domain;

  it('DescribeCertificate: the web listener\'s certificate ISSUED for the declared names, valid beyond any declared minimum', () => {
    const { arn, lb } = webCertificate();
    const { Certificate } = acmApi.DescribeCertificate!(account, { CertificateArn: arn }) as { Certificate: { Status: string; SubjectAlternativeNames: string[]; NotAfter: Date; InUseBy: string[] } };
    expect(Certificate.Status).toBe('ISSUED');
    expect(Certificate.SubjectAlternativeNames).toEqual(zone.names);
    expect(Certificate.NotAfter.getTime() - account.now()).toBeGreaterThan(365 * 24 * 3600 * 1000);
    expect(Certificate.InUseBy).toEqual([lb.arn]);
  });

  it('DescribeCertificate: an unknown certificate (ResourceNotFoundException), a malformed ARN (InvalidArnException), none (ValidationException)', () => {
    const { arn } = webCertificate();
    expect(refusedBy(() => acmApi.DescribeCertificate!(account, { CertificateArn: arn.replace(/.$/, 'f') })).name).toBe('ResourceNotFoundException');
    expect(refusedBy(() => acmApi.DescribeCertificate!(account, { CertificateArn: 'arn:aws:s3:::not-a-certificate' })).name).toBe('InvalidArnException');
    expect(refusedBy(() => acmApi.DescribeCertificate!(account, {})).name).toBe('ValidationException');
  });

  it('ListResourceRecordSets: in reversed-label order from StartRecordName and type, MaxItems per page with NextRecordName/NextRecordType', () => {
    const all = route53Api.ListResourceRecordSets!(account, { HostedZoneId: zone.hostedZoneId }) as { ResourceRecordSets: Array<{ Name: string; Type: string }>; IsTruncated: boolean };
    // The apex (NS, SOA) sorts before its subdomains: com.example < com.example.shop < com.example.shop.www.
    expect(all.ResourceRecordSets.map((r) => `${r.Name} ${r.Type}`)).toEqual(['example.com. NS', 'example.com. SOA', 'shop.example.com. A', 'www.shop.example.com. A']);
    expect(all.IsTruncated).toBe(false);
    const first = route53Api.ListResourceRecordSets!(account, { HostedZoneId: zone.hostedZoneId, StartRecordName: 'shop.example.com', StartRecordType: 'A', MaxItems: 1 }) as Record<string, unknown>;
    expect(first).toMatchObject({ IsTruncated: true, NextRecordName: 'www.shop.example.com.', NextRecordType: 'A', MaxItems: 1 });
    expect((first.ResourceRecordSets as Array<{ Name: string }>).map((r) => r.Name)).toEqual(['shop.example.com.']);
    const absent = route53Api.ListResourceRecordSets!(account, { HostedZoneId: zone.hostedZoneId, StartRecordName: 'api.shop.example.com', StartRecordType: 'A' }) as { ResourceRecordSets: Array<{ Name: string }> };
    // "the results begin with the first resource record set that has a name greater than the value of name"
    expect(absent.ResourceRecordSets[0]!.Name).toBe('www.shop.example.com.');
  });

  it('ListResourceRecordSets: an unknown zone (NoSuchHostedZone, 404), a type without a name or MaxItems 0 (InvalidInput)', () => {
    expect(refusedBy(() => route53Api.ListResourceRecordSets!(account, { HostedZoneId: 'ZNOSUCHZONE000' })).name).toBe('NoSuchHostedZone');
    expect(refusedBy(() => route53Api.ListResourceRecordSets!(account, { HostedZoneId: zone.hostedZoneId, StartRecordType: 'A' })).name).toBe('InvalidInput');
    expect(refusedBy(() => route53Api.ListResourceRecordSets!(account, { HostedZoneId: zone.hostedZoneId, MaxItems: 0 })).name).toBe('InvalidInput');
  });
});

describe('certificate and record faults', () => {
  it.each([
    ['certificate-expiring:web', /^tier web: listener HTTPS:443 \(.*\): certificate arn:aws:acm:.* expires .*, in 0 day\(s\), within the 30/],
    ['certificate-pending:web', /^tier web: listener HTTPS:443 \(.*\): certificate arn:aws:acm:.* is PENDING_VALIDATION, not ISSUED/],
    ['record-missing:web', /^tier web: record shop\.example\.com \(A or AAAA\) not found in hosted zone Z0123456789CANONICAL/],
  ])('%s: allocate refuses the web tier, naming what is wrong; nothing launched', async (fault, message) => {
    useAccount([fault]);
    const err = await planAllocation({ environment: canonical, input: {}, execution: 'allocate-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyCheckFailedError);
    expect((err as Error).message).toMatch(message);
    expect(account.hosts.size).toBe(0);
  });

  it('certificate-expiring:web: scale-out of web refuses; middle (HTTP, no domain) still plans', async () => {
    useAccount(['certificate-expiring:web'], {});
    await expect(planScaleOut({ environment: canonical, input: { tier: 'web', add: 1 }, execution: 'scale-out-1' })).rejects.toBeInstanceOf(DependencyCheckFailedError);
    await expect(planScaleOut({ environment: canonical, input: { tier: 'middle', add: 1 }, execution: 'scale-out-2' })).resolves.toMatchObject({ launchCount: 1 });
  });

  it('refuses a certificate fault on a tier without an HTTPS listener, a record fault on one without a hosted zone', () => {
    const scope = faultScope(canonical);
    expect(() => parseFaults(['certificate-expiring:middle'], new Set(), new Set(), undefined, scope)).toThrow(/has no HTTPS listener/);
    expect(() => parseFaults(['record-missing:middle'], new Set(), new Set(), undefined, scope)).toThrow(/declares no traffic.domain.hostedZoneId/);
    expect(() => parseFaults(['certificate-pending:monitoring'], new Set(), new Set(), undefined, scope)).toThrow(/has no target groups/);
  });
});
