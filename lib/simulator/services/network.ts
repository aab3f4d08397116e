/**
 * The network in front of the simulated hosts: load balancers, their listeners and rules,
 * security groups and their rules, the VPC's CIDR blocks. Kept beside the account (one per
 * account) and read by elbv2.ts and ec2.ts; seeded by fleet.ts so that the environment's
 * target groups are forwarded to and the hosts reachable, as a working environment has them.
 *
 * Faults act when the state is read, as `missing-target-group` does: `listener-missing:TIER`
 * (the tier's load balancer has no listener) and `sg-blocked:TIER` (the hosts' security
 * group has no inbound rule from the load balancer's).
 */
import type { SimulatedAccount } from '../account';

export interface SimRule {
  readonly arn: string;
  readonly priority: string;
  readonly isDefault: boolean;
  readonly actions: readonly object[];
  readonly conditions: readonly object[];
}

export interface SimListener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly certificates: ReadonlyArray<{ readonly arn: string }>;
  readonly defaultActions: readonly object[];
  /** The non-default rules; DescribeRules adds the default one from `defaultActions`. */
  readonly rules: readonly SimRule[];
}

export interface SimLoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly tier: string;
  readonly scheme: 'internet-facing' | 'internal';
  readonly vpcId: string;
  readonly securityGroups: readonly string[];
  readonly dnsName: string;
  readonly subnets: ReadonlyArray<{ readonly id: string; readonly availabilityZone: string }>;
}

export interface SimPermission {
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly groups?: readonly string[];
  readonly cidrs?: readonly string[];
}

export interface SimSecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly vpcId: string;
  /** The tiers whose hosts (or load balancer) it is for, which `sg-blocked` names. */
  readonly tiers: string[];
  readonly role: 'hosts' | 'load-balancer';
  readonly ingress: SimPermission[];
  readonly egress: SimPermission[];
}

export interface SimNetwork {
  readonly loadBalancers: Map<string, SimLoadBalancer>;
  readonly listeners: Map<string, SimListener>;
  readonly securityGroups: Map<string, SimSecurityGroup>;
  /** VPC ID -> its IPv4 CIDR blocks. */
  readonly vpcs: Map<string, string[]>;
  /** Target group ARN -> the load balancers it is attached to (through a listener or rule). */
  readonly attachments: Map<string, string[]>;
}

const networks = new WeakMap<SimulatedAccount, SimNetwork>();

export function networkOf(account: SimulatedAccount): SimNetwork {
  let network = networks.get(account);
  if (!network) {
    network = { loadBalancers: new Map(), listeners: new Map(), securityGroups: new Map(), vpcs: new Map(), attachments: new Map() };
    networks.set(account, network);
  }
  return network;
}

/** The listeners of a load balancer as ELB answers them, without those a `listener-missing` fault removed. */
export function listenersOf(account: SimulatedAccount, loadBalancerArn: string): SimListener[] {
  const network = networkOf(account);
  const lb = network.loadBalancers.get(loadBalancerArn);
  if (lb && account.faults.network?.get(lb.tier)?.has('listener-missing')) return [];
  return [...network.listeners.values()].filter((l) => l.loadBalancerArn === loadBalancerArn);
}

/** A security group's inbound rules, without the one from its tier's load balancer that `sg-blocked` removed. */
export function ingressOf(account: SimulatedAccount, group: SimSecurityGroup): SimPermission[] {
  const blocked = group.role === 'hosts' ? group.tiers.filter((t) => account.faults.network?.get(t)?.has('sg-blocked')) : [];
  if (blocked.length === 0) return group.ingress;
  const balancerGroups = new Set([...networkOf(account).loadBalancers.values()].filter((lb) => blocked.includes(lb.tier)).flatMap((lb) => lb.securityGroups));
  return group.ingress.filter((p) => !(p.groups ?? []).some((g) => balancerGroups.has(g)));
}

/** The VPC's CIDR in the simulated account (the load balancers' and hosts' subnets are in it). */
export const SIM_VPC_CIDR = '10.0.0.0/16';

/** A security group's default outbound rule: "allows all outbound traffic" (EC2 user guide, security groups). */
const ALL_OUTBOUND: SimPermission = { protocol: '-1', cidrs: ['0.0.0.0/0'] };

/**
 * A tier's load balancer as a working environment has it: its own security group, one
 * listener whose default action forwards to the first target group (`TargetGroupArn`), a
 * rule forwarding to each further group (`ForwardConfig`), and the hosts' declared security
 * groups allowing the target port from the load balancer's group.
 */
export function seedTierNetwork(
  account: SimulatedAccount,
  tier: { name: string; role: string; environment: string; hostSecurityGroups: readonly string[]; port: number; subnets: ReadonlyArray<{ id: string; availabilityZone: string }> },
  targetGroupArns: readonly string[],
  ids: { region: string; account: string; vpcId: string; serial: number },
): void {
  const network = networkOf(account);
  if (!network.vpcs.has(ids.vpcId)) network.vpcs.set(ids.vpcId, [SIM_VPC_CIDR]);
  const serial = String(ids.serial).padStart(16, '0');
  const external = tier.role === 'web';
  const name = `${tier.environment}-${tier.name}`.slice(0, 32);
  const arn = `arn:aws:elasticloadbalancing:${ids.region}:${ids.account}:loadbalancer/app/${name}/${serial}`;
  const lbGroup = `sg-0b${serial.slice(1)}`;
  const listenerPort = external ? 443 : 80;
  network.securityGroups.set(lbGroup, {
    id: lbGroup,
    name: `${name}-lb`,
    vpcId: ids.vpcId,
    tiers: [tier.name],
    role: 'load-balancer',
    ingress: [{ protocol: 'tcp', fromPort: listenerPort, toPort: listenerPort, cidrs: [external ? '0.0.0.0/0' : SIM_VPC_CIDR] }],
    egress: [ALL_OUTBOUND],
  });
  network.loadBalancers.set(arn, {
    arn,
    name,
    tier: tier.name,
    scheme: external ? 'internet-facing' : 'internal',
    vpcId: ids.vpcId,
    securityGroups: [lbGroup],
    dnsName: `${external ? '' : 'internal-'}${name}-${serial.slice(8)}.${ids.region}.elb.amazonaws.com`,
    subnets: tier.subnets,
  });
  const listenerArn = `arn:aws:elasticloadbalancing:${ids.region}:${ids.account}:listener/app/${name}/${serial}/${serial.split('').reverse().join('')}`;
  const [first, ...rest] = targetGroupArns;
  network.listeners.set(listenerArn, {
    arn: listenerArn,
    loadBalancerArn: arn,
    port: listenerPort,
    protocol: external ? 'HTTPS' : 'HTTP',
    certificates: external ? [{ arn: `arn:aws:acm:${ids.region}:${ids.account}:certificate/00000000-0000-4000-8000-${serial.slice(4)}` }] : [],
    defaultActions: first ? [{ Type: 'forward', Order: 1, TargetGroupArn: first }] : [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404' } }],
    rules: rest.map((tg, i) => ({
      arn: `arn:aws:elasticloadbalancing:${ids.region}:${ids.account}:listener-rule/app/${name}/${serial}/${serial.split('').reverse().join('')}/${String(i + 1).padStart(16, '0')}`,
      priority: String(i + 1),
      isDefault: false,
      actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }] } }],
      conditions: [{ Field: 'path-pattern', Values: [`/${i + 1}/*`] }],
    })),
  });
  for (const tg of targetGroupArns) network.attachments.set(tg, [...(network.attachments.get(tg) ?? []), arn]);
  for (const id of tier.hostSecurityGroups) {
    const existing = network.securityGroups.get(id);
    const group: SimSecurityGroup = existing ?? { id, name: `${tier.environment}-hosts-${id.slice(-4)}`, vpcId: ids.vpcId, tiers: [], role: 'hosts', ingress: [], egress: [ALL_OUTBOUND] };
    group.tiers.push(tier.name);
    group.ingress.push({ protocol: 'tcp', fromPort: tier.port, toPort: tier.port, groups: [lbGroup] });
    network.securityGroups.set(id, group);
  }
}
