/**
 * The network a tier's new hosts depend on, checked by the compute planners before the lock
 * and before anything is launched (allocate and scale-out):
 *
 * - each of the tier's target groups is forwarded to by a listener of one of its load
 *   balancers (the listener's default actions or one of its rules);
 * - with `traffic.hostSecurityGroups` declared, the load balancer's security groups may
 *   reach the hosts' on the target group's port: an inbound rule on one of the hosts' groups
 *   from one of the load balancer's groups (or from a CIDR covering the load balancer's VPC),
 *   and an outbound rule on one of the load balancer's groups to them.
 *
 * - where a listener that forwards to the tier is HTTPS or TLS, each of its ACM certificates
 *   is ISSUED and valid for `traffic.domain.minCertificateDays` more days (30 without
 *   `domain`), and together they cover `traffic.domain.names` (certificate-rules.ts);
 * - with `traffic.domain.hostedZoneId`, each record (`records`, else `names`) is an A or AAAA
 *   alias of one of the load balancers that forward to the tier.
 *
 * Every failure is DependencyCheckFailedError naming the target group, load balancer,
 * listener, certificate, record or security group. Only Describe and List calls: the check is
 * safe to repeat.
 */
import {
  paginateDescribeListenerCertificates,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeRules,
  type Action,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeCertificateCommand, type CertificateDetail } from '@aws-sdk/client-acm';
import { ListResourceRecordSetsCommand, type ListResourceRecordSetsCommandOutput, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { paginateDescribeSecurityGroups, paginateDescribeVpcs, type IpPermission, type SecurityGroup } from '@aws-sdk/client-ec2';
import { DependencyCheckFailedError } from '../domain/contract/errors';
import { DEFAULT_CERTIFICATE_MIN_DAYS } from '../domain/environment/limits';
import type { HostTierDefinition } from '../domain/environment/model';
import { acm } from '../shared/aws/acm';
import { ec2 } from '../shared/aws/ec2';
import { elbv2 } from '../shared/aws/elbv2';
import { route53 } from '../shared/aws/route53';
import { aliasMatches, certificateProblem, dnsName, nameCovers } from './certificate-rules';
import { describeTargetGroups } from '../shared/provision-plan';

/**
 * DescribeLoadBalancers: "You can specify up to 20 load balancers in a single call."
 * DescribeListeners and DescribeRules: PageSize "Minimum value of 1. Maximum value of 400." The
 * SDK's ELBv2 paginators follow NextMarker but do not set PageSize, so each request names it.
 */
export const LOAD_BALANCERS_PER_CALL = 20;
export const ELB_PAGE_SIZE = 400;

/** What was checked, for the planners' log line. */
export interface NetworkCheck {
  readonly listeners: number;
  readonly securityGroups: number;
  /** ACM certificates checked (each once), and DNS records found aliasing the load balancer. */
  readonly certificates?: number;
  readonly records?: number;
}

const NOTHING_LAUNCHED = 'nothing was launched';

/** The tier's target groups as described (their port checked), then their listeners and security groups. */
export async function checkTierNetwork(tier: HostTierDefinition): Promise<NetworkCheck> {
  return checkNetwork(tier, await describeTargetGroups(tier));
}

/** Checks the tier's listeners and security groups against its described target groups (provision-plan.ts `describeTargetGroups`). */
export async function checkNetwork(tier: HostTierDefinition, groups: readonly TargetGroup[]): Promise<NetworkCheck> {
  if (tier.traffic.kind !== 'target-group' || groups.length === 0) return { listeners: 0, securityGroups: 0 };
  for (const group of groups) {
    if ((group.LoadBalancerArns ?? []).length === 0) {
      throw new DependencyCheckFailedError(
        `tier ${tier.name}: target group ${group.TargetGroupName} is not attached to any load balancer, so no listener forwards to it and new hosts would get no traffic; ${NOTHING_LAUNCHED}`,
      );
    }
  }
  const balancers = await describeLoadBalancers([...new Set(groups.flatMap((g) => g.LoadBalancerArns ?? []))]);
  const listeners = new Map<string, Listener[]>();
  for (const arn of balancers.keys()) listeners.set(arn, await describeListeners(arn));

  let forwarding = 0;
  // Per target group: the load balancers one of whose listeners forwards to it.
  const reaching = new Map<TargetGroup, LoadBalancer[]>();
  const serving = new Map<string, Listener>();
  for (const group of groups) {
    const through: LoadBalancer[] = [];
    for (const arn of group.LoadBalancerArns ?? []) {
      const found = await forwardingListener(listeners.get(arn) ?? [], group.TargetGroupArn!);
      if (found) {
        forwarding += 1;
        through.push(balancers.get(arn)!);
        serving.set(found.ListenerArn ?? listenerLabel(found), found);
      }
    }
    if (through.length === 0) {
      const seen = (group.LoadBalancerArns ?? []).flatMap((arn) => (listeners.get(arn) ?? []).map(listenerLabel));
      throw new DependencyCheckFailedError(
        `tier ${tier.name}: no listener forwards to target group ${group.TargetGroupName} ` +
          `(load balancer ${(group.LoadBalancerArns ?? []).map(balancerLabel).join(', ')}; listeners: ${seen.length > 0 ? seen.join(', ') : 'none'}); ${NOTHING_LAUNCHED}`,
      );
    }
    reaching.set(group, through);
  }

  const certificates = await checkCertificates(tier, [...serving.values()]);
  const records = await checkRecords(tier, [...new Set([...reaching.values()].flat())]);
  const hostGroups = tier.traffic.hostSecurityGroups;
  if (!hostGroups) return { listeners: forwarding, securityGroups: 0, certificates, records };
  const checked = await checkSecurityGroups(tier, hostGroups, reaching);
  return { listeners: forwarding, securityGroups: checked, certificates, records };
}

/**
 * The certificates of each HTTPS or TLS listener that forwards to the tier. DescribeListeners
 * answers only the default certificate ("Certificates: [HTTPS or TLS listener] The default
 * certificate for the listener"); DescribeListenerCertificates "Describes the default
 * certificate and the certificate list for the specified HTTPS or TLS listener. If the
 * default certificate is also in the certificate list, it appears twice in the results", so
 * ARNs are taken once. Each ACM certificate that covers a declared name (without a declared
 * domain: the listener's default) must be ISSUED and valid for the declared days (a client may
 * be given any of them by SNI); together they must cover the declared names. Certificates of
 * the listener for other names are not judged.
 * Certificates from IAM (arn:aws:iam::...:server-certificate/...) are not ACM's and cannot be
 * described by it: they count towards no name.
 */
async function checkCertificates(tier: HostTierDefinition, serving: readonly Listener[]): Promise<number> {
  if (tier.traffic.kind !== 'target-group') return 0;
  const domain = tier.traffic.domain;
  const minDays = domain?.minCertificateDays ?? DEFAULT_CERTIFICATE_MIN_DAYS;
  const secure = serving.filter((l) => l.Protocol === 'HTTPS' || l.Protocol === 'TLS');
  if (domain && secure.length === 0) {
    throw new DependencyCheckFailedError(
      `tier ${tier.name}: traffic.domain names ${domain.names.join(', ')} but no HTTPS or TLS listener forwards to its target groups (listeners: ${serving.map(listenerLabel).join(', ')}); ${NOTHING_LAUNCHED}`,
    );
  }
  const described = new Map<string, CertificateDetail>();
  const now = new Date();
  for (const listener of secure) {
    const { arns, defaults } = await listenerCertificateArns(listener);
    const fromAcm = arns.filter((arn) => /^arn:[\w-]+:acm:/.test(arn));
    for (const arn of fromAcm) {
      if (!described.has(arn)) described.set(arn, await describeCertificate(tier, listener, arn));
      // Judged: what serves this tier's names (or, with none declared, the listener's default). A shared
      // listener's certificate for another service's names is that service's to renew, not a reason to
      // refuse launching hosts here (recover launches through this check too).
      const serves = domain ? certificateNames(described.get(arn)!).some((n) => domain.names.some((name) => nameCovers(n, name))) : defaults.has(arn);
      if (!serves) continue;
      const problem = certificateProblem(toFacts(described.get(arn)!, arn), [], minDays, now);
      if (problem) throw new DependencyCheckFailedError(`tier ${tier.name}: listener ${listenerLabel(listener)}: ${problem}; ${NOTHING_LAUNCHED}`);
    }
    const uncovered = (domain?.names ?? []).filter((name) => !fromAcm.some((arn) => certificateNames(described.get(arn)!).some((n) => nameCovers(n, name))));
    if (uncovered.length > 0) {
      const others = arns.filter((arn) => !fromAcm.includes(arn));
      throw new DependencyCheckFailedError(
        `tier ${tier.name}: listener ${listenerLabel(listener)}: no certificate covers ${uncovered.join(', ')} ` +
          `(certificate ${fromAcm.map((arn) => `${arn}: ${certificateNames(described.get(arn)!).join(', ') || 'no names'}`).join('; ') || 'none from ACM'}` +
          `${others.length > 0 ? `; not from ACM, unchecked: ${others.join(', ')}` : ''}); ${NOTHING_LAUNCHED}`,
      );
    }
  }
  return described.size;
}

/** The listener's certificates, each once, and which of them is its default (DescribeListeners' Certificates, or IsDefault). */
async function listenerCertificateArns(listener: Listener): Promise<{ arns: string[]; defaults: Set<string> }> {
  const arns = (listener.Certificates ?? []).map((c) => c.CertificateArn).filter((a): a is string => a !== undefined);
  const defaults = new Set(arns);
  for await (const page of paginateDescribeListenerCertificates({ client: elbv2 }, { ListenerArn: listener.ListenerArn, PageSize: ELB_PAGE_SIZE })) {
    for (const c of page.Certificates ?? []) {
      if (!c.CertificateArn) continue;
      arns.push(c.CertificateArn);
      if (c.IsDefault) defaults.add(c.CertificateArn);
    }
  }
  return { arns: [...new Set(arns)], defaults };
}

/**
 * ACM DescribeCertificate. Its API reference: ResourceNotFoundException, "The specified
 * certificate cannot be found in the caller's account or the caller's account cannot be
 * found"; InvalidArnException, "The requested Amazon Resource Name (ARN) does not refer to an
 * existing resource." Either means the listener serves a certificate no one can renew here.
 */
async function describeCertificate(tier: HostTierDefinition, listener: Listener, arn: string): Promise<CertificateDetail> {
  try {
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    return Certificate ?? {};
  } catch (err) {
    const name = (err as Error).name;
    if (name !== 'ResourceNotFoundException' && name !== 'InvalidArnException') throw err;
    throw new DependencyCheckFailedError(`tier ${tier.name}: listener ${listenerLabel(listener)}: certificate ${arn} not found in ACM (${(err as Error).message}); ${NOTHING_LAUNCHED}`, { cause: err });
  }
}

function toFacts(detail: CertificateDetail, arn: string) {
  return { CertificateArn: arn, Status: detail.Status, NotAfter: detail.NotAfter, DomainName: detail.DomainName, SubjectAlternativeNames: detail.SubjectAlternativeNames };
}

function certificateNames(detail: CertificateDetail): string[] {
  return [...new Set([detail.DomainName, ...(detail.SubjectAlternativeNames ?? [])].filter((n): n is string => n !== undefined))];
}

/**
 * Route 53 ListResourceRecordSets has no NextToken (so no SDK paginator): "If the response
 * includes more than maxitems resource record sets, the value of the IsTruncated element in
 * the response is true, and the values of the NextRecordName and NextRecordType elements in
 * the response identify the first resource record set in the next group" (API reference,
 * MaxItems). Records are listed "in ASCII order, beginning at a position specified by the name
 * and type elements", so starting at (record, A) answers its A and then AAAA records first;
 * the listing goes on only while the next record still has the record's name (weighted or
 * latency sets of one name, NextRecordIdentifier).
 */
export const RECORDS_PER_CALL = 10;
/** Guards the by-name walk against a zone answering the same page forever. */
const MAX_RECORD_PAGES = 20;

async function checkRecords(tier: HostTierDefinition, balancers: readonly LoadBalancer[]): Promise<number> {
  if (tier.traffic.kind !== 'target-group') return 0;
  const domain = tier.traffic.domain;
  if (!domain?.hostedZoneId) return 0;
  const zone = domain.hostedZoneId;
  const names = domain.records ?? domain.names;
  const dnsNames = balancers.map((lb) => lb.DNSName).filter((n): n is string => n !== undefined);
  for (const name of names) {
    const records = await recordsNamed(tier, zone, name);
    const aliases = records.filter((r) => (r.Type === 'A' || r.Type === 'AAAA') && dnsName(r.Name ?? '') === dnsName(name));
    if (aliases.length === 0) {
      throw new DependencyCheckFailedError(`tier ${tier.name}: record ${name} (A or AAAA) not found in hosted zone ${zone}, so the name reaches no load balancer; ${NOTHING_LAUNCHED}`);
    }
    if (!aliases.some((r) => dnsNames.some((lb) => aliasMatches(r, lb)))) {
      const targets = aliases.map((r) => `${r.Type} ${r.AliasTarget?.DNSName ?? `not an alias (${(r.ResourceRecords ?? []).map((v) => v.Value).join(', ')})`}`);
      throw new DependencyCheckFailedError(
        `tier ${tier.name}: record ${name} in hosted zone ${zone} does not alias load balancer ${balancers.map((lb) => `${balancerLabel(lb.LoadBalancerArn ?? '')} (${lb.DNSName ?? '?'})`).join(', ')}: ` +
          `it points to ${targets.join('; ')}; ${NOTHING_LAUNCHED}`,
      );
    }
  }
  return names.length;
}

async function recordsNamed(tier: HostTierDefinition, zone: string, name: string): Promise<ResourceRecordSet[]> {
  const found: ResourceRecordSet[] = [];
  let start: { StartRecordName: string; StartRecordType: 'A' | 'AAAA'; StartRecordIdentifier?: string } | undefined = { StartRecordName: name, StartRecordType: 'A' };
  for (let page = 0; start && page < MAX_RECORD_PAGES; page += 1) {
    let answer: ListResourceRecordSetsCommandOutput;
    try {
      answer = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, MaxItems: RECORDS_PER_CALL, ...start }));
    } catch (err) {
      // API reference: NoSuchHostedZone, "No hosted zone exists with the ID that you specified."
      if ((err as Error).name !== 'NoSuchHostedZone') throw err;
      throw new DependencyCheckFailedError(`tier ${tier.name}: hosted zone ${zone} not found (${(err as Error).message}); record ${name} cannot be checked; ${NOTHING_LAUNCHED}`, { cause: err });
    }
    const sets = answer.ResourceRecordSets ?? [];
    found.push(...sets);
    const next = answer.NextRecordName;
    const more = answer.IsTruncated === true && next !== undefined && dnsName(next) === dnsName(name) && (answer.NextRecordType === 'A' || answer.NextRecordType === 'AAAA');
    start = more ? { StartRecordName: next, StartRecordType: answer.NextRecordType as 'A' | 'AAAA', ...(answer.NextRecordIdentifier ? { StartRecordIdentifier: answer.NextRecordIdentifier } : {}) } : undefined;
    // Past the name (or past its A and AAAA records): nothing further can be the record.
    if (sets.some((r) => dnsName(r.Name ?? '') !== dnsName(name) || (r.Type !== 'A' && r.Type !== 'AAAA'))) start = undefined;
  }
  return found;
}

async function describeLoadBalancers(arns: readonly string[]): Promise<Map<string, LoadBalancer>> {
  const found = new Map<string, LoadBalancer>();
  for (let i = 0; i < arns.length; i += LOAD_BALANCERS_PER_CALL) {
    const chunk = arns.slice(i, i + LOAD_BALANCERS_PER_CALL);
    try {
      for await (const page of paginateDescribeLoadBalancers({ client: elbv2 }, { LoadBalancerArns: chunk, PageSize: ELB_PAGE_SIZE })) {
        for (const lb of page.LoadBalancers ?? []) if (lb.LoadBalancerArn) found.set(lb.LoadBalancerArn, lb);
      }
    } catch (err) {
      // API reference, DescribeLoadBalancers: LoadBalancerNotFound, "The specified load balancer does not exist."
      if ((err as Error).name !== 'LoadBalancerNotFoundException') throw err;
      throw new DependencyCheckFailedError(`load balancer ${chunk.map(balancerLabel).join(', ')} not found (${(err as Error).message}); ${NOTHING_LAUNCHED}`, { cause: err });
    }
  }
  return found;
}

async function describeListeners(loadBalancerArn: string): Promise<Listener[]> {
  const listeners: Listener[] = [];
  for await (const page of paginateDescribeListeners({ client: elbv2 }, { LoadBalancerArn: loadBalancerArn, PageSize: ELB_PAGE_SIZE })) {
    listeners.push(...(page.Listeners ?? []));
  }
  return listeners;
}

/**
 * The first listener that forwards to the target group: in its default actions, else in one
 * of its rules (DescribeRules also answers the default rule). A forward action names its
 * target group in `TargetGroupArn` ("Specify only when Type is forward and you want to route
 * to a single target group. To route to one or more target groups, use ForwardConfig
 * instead.") or in `ForwardConfig.TargetGroups` (Action, ELBv2 API reference); both are read.
 */
async function forwardingListener(listeners: readonly Listener[], targetGroupArn: string): Promise<Listener | undefined> {
  const byDefault = listeners.find((l) => forwardsTo(l.DefaultActions, targetGroupArn));
  if (byDefault) return byDefault;
  for (const listener of listeners) {
    for await (const page of paginateDescribeRules({ client: elbv2 }, { ListenerArn: listener.ListenerArn, PageSize: ELB_PAGE_SIZE })) {
      if ((page.Rules ?? []).some((rule) => forwardsTo(rule.Actions, targetGroupArn))) return listener;
    }
  }
  return undefined;
}

export function forwardsTo(actions: readonly Action[] | undefined, targetGroupArn: string): boolean {
  return (actions ?? []).some(
    (a) => a.Type === 'forward' && (a.TargetGroupArn === targetGroupArn || (a.ForwardConfig?.TargetGroups ?? []).some((t) => t.TargetGroupArn === targetGroupArn)),
  );
}

/**
 * Whether the load balancers that forward to each target group may reach the hosts on its
 * port. The ALB guide: "You must ensure that your load balancer can communicate with
 * registered targets on both the listener port and the health check port", and for the
 * targets: "setting the load balancer's security group as the source in the ingress rule of
 * the target's security group". The rules of all the groups an instance has are aggregated,
 * so one of the hosts' groups allowing it is enough (and one of the load balancer's for the
 * way out). A load balancer with no security group (a Network Load Balancer created without
 * one) has nothing to check here.
 */
async function checkSecurityGroups(tier: HostTierDefinition, hostGroups: readonly string[], reaching: ReadonlyMap<TargetGroup, LoadBalancer[]>): Promise<number> {
  const balancerGroups = [...new Set([...reaching.values()].flat().flatMap((lb) => lb.SecurityGroups ?? []))];
  const described = await describeSecurityGroups(tier, [...new Set([...hostGroups, ...balancerGroups])]);
  const vpcCidrs = new Map<string, string[]>();
  const cidrsOf = async (vpcId: string | undefined): Promise<string[]> => {
    if (!vpcId) return [];
    if (!vpcCidrs.has(vpcId)) vpcCidrs.set(vpcId, await describeVpcCidrs(vpcId));
    return vpcCidrs.get(vpcId)!;
  };
  for (const [group, balancers] of reaching) {
    const port = group.Port;
    if (port === undefined) continue;
    for (const lb of balancers) {
      const lbGroups = lb.SecurityGroups ?? [];
      if (lbGroups.length === 0) continue;
      const vpc = await cidrsOf(lb.VpcId);
      const inbound = hostGroups.some((id) => (described.get(id)?.IpPermissions ?? []).some((p) => allows(p, port, lbGroups, vpc)));
      if (!inbound) {
        throw new DependencyCheckFailedError(
          `tier ${tier.name}: security group ${hostGroups.join(', ')} (the hosts') allows no inbound tcp ${port} from load balancer ${balancerLabel(lb.LoadBalancerArn ?? '')}'s ` +
            `security group ${lbGroups.join(', ')} or a CIDR covering ${lb.VpcId ?? 'its VPC'}: target group ${group.TargetGroupName}'s new hosts would fail their health checks; ${NOTHING_LAUNCHED}`,
        );
      }
      const outbound = lbGroups.some((id) => (described.get(id)?.IpPermissionsEgress ?? []).some((p) => allows(p, port, hostGroups, vpc)));
      if (!outbound) {
        throw new DependencyCheckFailedError(
          `tier ${tier.name}: load balancer ${balancerLabel(lb.LoadBalancerArn ?? '')}'s security group ${lbGroups.join(', ')} allows no outbound tcp ${port} to security group ` +
            `${hostGroups.join(', ')} (the hosts') or a CIDR covering ${lb.VpcId ?? 'its VPC'}: target group ${group.TargetGroupName}'s new hosts would get no traffic; ${NOTHING_LAUNCHED}`,
        );
      }
    }
  }
  return described.size;
}

async function describeSecurityGroups(tier: HostTierDefinition, ids: readonly string[]): Promise<Map<string, SecurityGroup>> {
  const found = new Map<string, SecurityGroup>();
  try {
    // No page size: the EC2 API reference says of MaxResults "If this parameter is not
    // specified, then all items are returned"; the paginator still follows any NextToken.
    for await (const page of paginateDescribeSecurityGroups({ client: ec2 }, { GroupIds: [...ids] })) {
      for (const group of page.SecurityGroups ?? []) if (group.GroupId) found.set(group.GroupId, group);
    }
  } catch (err) {
    // EC2 error codes: InvalidGroup.NotFound, "The specified security group does not exist."
    if ((err as Error).name !== 'InvalidGroup.NotFound') throw err;
    throw new DependencyCheckFailedError(`tier ${tier.name}: security group ${ids.join(', ')}: ${(err as Error).message}; ${NOTHING_LAUNCHED}`, { cause: err });
  }
  return found;
}

async function describeVpcCidrs(vpcId: string): Promise<string[]> {
  const cidrs: string[] = [];
  for await (const page of paginateDescribeVpcs({ client: ec2 }, { VpcIds: [vpcId] })) {
    for (const vpc of page.Vpcs ?? []) {
      const associated = (vpc.CidrBlockAssociationSet ?? []).filter((a) => a.CidrBlockState?.State === 'associated').map((a) => a.CidrBlock!);
      cidrs.push(...(associated.length > 0 ? associated : vpc.CidrBlock ? [vpc.CidrBlock] : []));
    }
  }
  return cidrs;
}

/**
 * Whether one permission lets TCP on `port` through from (or to) one of `groups`, or from a
 * CIDR that covers every CIDR block of the VPC (the load balancer's nodes have addresses in
 * its subnets). IpProtocol: "Use -1 to specify all protocols"; "tcp" or its number "6";
 * for -1 the port range does not apply (EC2 API reference, IpPermission). Prefix lists are
 * not resolved: a rule by prefix list does not count.
 */
export function allows(permission: IpPermission, port: number, groups: readonly string[], vpcCidrs: readonly string[]): boolean {
  const protocol = permission.IpProtocol;
  if (protocol !== '-1' && protocol !== 'tcp' && protocol !== '6') return false;
  if (protocol !== '-1' && !(permission.FromPort !== undefined && permission.ToPort !== undefined && permission.FromPort <= port && port <= permission.ToPort)) return false;
  if ((permission.UserIdGroupPairs ?? []).some((pair) => pair.GroupId !== undefined && groups.includes(pair.GroupId))) return true;
  const ranges = (permission.IpRanges ?? []).map((r) => r.CidrIp).filter((c): c is string => c !== undefined);
  return vpcCidrs.length > 0 && vpcCidrs.every((inner) => ranges.some((outer) => cidrCovers(outer, inner)));
}

/** Whether IPv4 CIDR `outer` contains all of `inner`. */
export function cidrCovers(outer: string, inner: string): boolean {
  const a = parseCidr(outer);
  const b = parseCidr(inner);
  if (!a || !b || a.bits > b.bits) return false;
  const mask = a.bits === 0 ? 0 : (0xffffffff << (32 - a.bits)) >>> 0;
  return ((a.address & mask) >>> 0) === ((b.address & mask) >>> 0);
}

function parseCidr(cidr: string): { address: number; bits: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  return { address: octets.reduce((n, o) => (n * 256 + o) >>> 0, 0), bits };
}

/** `app/name/id` from a load balancer ARN: what the console and CloudWatch call it. */
function balancerLabel(arn: string): string {
  return /:loadbalancer\/(.+)$/.exec(arn)?.[1] ?? arn;
}

function listenerLabel(listener: Listener): string {
  return `${listener.Protocol ?? '?'}:${listener.Port ?? '?'} (${listener.ListenerArn ?? 'no ARN'})`;
}
