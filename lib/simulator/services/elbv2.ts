/**
 * Elastic Load Balancing v2 in the simulated account: target groups, their attributes, target
 * health, RegisterTargets and DeregisterTargets (the target state model itself is the
 * account's: account.ts `targetState`); load balancers, listeners, rules and listener
 * certificates (network.ts).
 */
import type { SimulatedAccount } from '../account';
import { type Operation, checkRange, paginate } from './common';
import { SimulatedServiceError, validation } from '../aws-errors';
import { listenersOf, networkOf, type SimListener } from './network';

/** DescribeLoadBalancers: "You can specify up to 20 load balancers in a single call." */
const MAX_LOAD_BALANCER_ARNS = 20;

/** ELBv2 pages with Marker / NextMarker; PageSize "Minimum value of 1. Maximum value of 400." (each Describe* API reference). */
function page<T>(items: readonly T[], input: { Marker?: string; PageSize?: number }): { page: T[]; NextMarker?: string } {
  checkRange('PageSize', input.PageSize, 1, 400);
  const { page: items_, next } = paginate(items, input.Marker, input.PageSize ?? 400);
  return { page: items_, ...(next !== undefined ? { NextMarker: next } : {}) };
}

function describeListener(listener: SimListener) {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    // The listener's default certificate only (DescribeListeners; the others are in DescribeListenerCertificates).
    ...(listener.certificates.length > 0 ? { Certificates: [{ CertificateArn: listener.certificates[0]!.arn }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' } : {}),
    DefaultActions: structuredClone(listener.defaultActions),
  };
}

/** A listener by ARN, as ELB finds it: ListenerNotFound, "The specified listener does not exist." */
function requireListener(account: SimulatedAccount, arn: string): SimListener {
  const listener = networkOf(account).listeners.get(arn);
  const lb = listener && networkOf(account).loadBalancers.get(listener.loadBalancerArn);
  if (!listener || !lb || !listenersOf(account, lb.arn).includes(listener)) throw new SimulatedServiceError('ListenerNotFoundException', 'The specified listener does not exist.');
  return listener;
}

export const elbv2: Record<string, Operation> = {
  DescribeLoadBalancers(account, input) {
    const arns: string[] | undefined = input.LoadBalancerArns;
    if (arns && arns.length > MAX_LOAD_BALANCER_ARNS) throw validation(`LoadBalancerArns: you can specify up to ${MAX_LOAD_BALANCER_ARNS} load balancers in a single call (received ${arns.length})`);
    const all = [...networkOf(account).loadBalancers.values()];
    // "LoadBalancerNotFound: The specified load balancer does not exist." One unknown ARN fails the call.
    if (arns && arns.some((arn) => !all.some((lb) => lb.arn === arn))) throw new SimulatedServiceError('LoadBalancerNotFoundException', 'One or more load balancers not found');
    const selected = arns ? all.filter((lb) => arns.includes(lb.arn)) : all;
    const { page: lbs, NextMarker } = page(selected, input);
    return {
      LoadBalancers: lbs.map((lb) => ({
        LoadBalancerArn: lb.arn,
        LoadBalancerName: lb.name,
        DNSName: lb.dnsName,
        Scheme: lb.scheme,
        VpcId: lb.vpcId,
        State: { Code: 'active' },
        Type: 'application',
        IpAddressType: 'ipv4',
        SecurityGroups: [...lb.securityGroups],
        AvailabilityZones: lb.subnets.map((s) => ({ ZoneName: s.availabilityZone, SubnetId: s.id })),
      })),
      ...(NextMarker ? { NextMarker } : {}),
    };
  },
  DescribeListeners(account, input) {
    // "You must specify either a load balancer or one or more listeners."
    if (!input.LoadBalancerArn && !input.ListenerArns?.length) throw validation('You must specify either a load balancer or one or more listeners');
    let listeners: SimListener[];
    if (input.LoadBalancerArn) {
      if (!networkOf(account).loadBalancers.has(input.LoadBalancerArn)) throw new SimulatedServiceError('LoadBalancerNotFoundException', 'One or more load balancers not found');
      listeners = listenersOf(account, input.LoadBalancerArn);
    } else {
      listeners = (input.ListenerArns as string[]).map((arn) => requireListener(account, arn));
    }
    const { page: found, NextMarker } = page(listeners, input);
    return { Listeners: found.map(describeListener), ...(NextMarker ? { NextMarker } : {}) };
  },
  DescribeRules(account, input) {
    if (!input.ListenerArn && !input.RuleArns?.length) throw validation('You must specify either a listener or one or more rules');
    const listeners = input.ListenerArn ? [requireListener(account, input.ListenerArn)] : [...networkOf(account).listeners.values()];
    // A listener's rules in priority order, the default rule (its default actions) last.
    const rules = listeners.flatMap((l) => [
      ...l.rules.map((r) => ({ RuleArn: r.arn, Priority: r.priority, IsDefault: false, Actions: structuredClone(r.actions), Conditions: structuredClone(r.conditions) })),
      { RuleArn: `${l.arn.replace(':listener/', ':listener-rule/')}/default`, Priority: 'default', IsDefault: true, Actions: structuredClone(l.defaultActions), Conditions: [] },
    ]);
    const selected = input.RuleArns ? rules.filter((r) => input.RuleArns.includes(r.RuleArn)) : rules;
    if (input.RuleArns && selected.length !== input.RuleArns.length) throw new SimulatedServiceError('RuleNotFoundException', 'One or more rules not found');
    const { page: found, NextMarker } = page(selected, input);
    return { Rules: found, ...(NextMarker ? { NextMarker } : {}) };
  },
  DescribeListenerCertificates(account, input) {
    if (!input.ListenerArn) throw validation("1 validation error detected: Value null at 'listenerArn' failed to satisfy constraint: Member must not be null");
    const listener = requireListener(account, input.ListenerArn);
    // Both the default certificate (IsDefault) and the others added to the listener.
    const { page: found, NextMarker } = page(listener.certificates, input);
    return { Certificates: found.map((c) => ({ CertificateArn: c.arn, IsDefault: c === listener.certificates[0] })), ...(NextMarker ? { NextMarker } : {}) };
  },
  DescribeTargetGroups(account, input) {
    // PageSize: 1-400 (API reference).
    checkRange('PageSize', input.PageSize, 1, 400);
    let groups = [...account.targetGroups.values()];
    if (input.Names) {
      const missing = input.Names.filter((n: string) => !groups.some((g) => g.name === n));
      if (missing.length > 0) throw new SimulatedServiceError('TargetGroupNotFoundException', `One or more target groups not found: ${missing.join(', ')}`);
      groups = groups.filter((g) => input.Names.includes(g.name));
    }
    if (input.TargetGroupArns) groups = groups.filter((g) => input.TargetGroupArns.includes(g.arn));
    return {
      TargetGroups: groups.map((g) => ({
        TargetGroupArn: g.arn,
        TargetGroupName: g.name,
        HealthCheckIntervalSeconds: g.intervalSeconds,
        HealthyThresholdCount: g.healthyThreshold,
        UnhealthyThresholdCount: g.unhealthyThreshold,
        TargetType: 'instance',
        Protocol: 'HTTP',
        Port: g.port,
        VpcId: g.vpcId,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: 'traffic-port',
        HealthCheckPath: '/health',
        LoadBalancerArns: [...(networkOf(account).attachments.get(g.arn) ?? [])],
      })),
    };
  },
  DescribeTargetGroupAttributes(account, input) {
    // What an Application Load Balancer's instance target group answers (ALB user guide,
    // target group attributes), its defaults but for the deregistration delay: "The range is
    // 0-3600 seconds. The default value is 300 seconds."
    const group = account.requireTargetGroup(input.TargetGroupArn);
    return {
      Attributes: [
        { Key: 'deregistration_delay.timeout_seconds', Value: String(group.deregistrationDelaySeconds) },
        { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
        { Key: 'load_balancing.cross_zone.enabled', Value: 'use_load_balancer_configuration' },
        { Key: 'slow_start.duration_seconds', Value: '0' },
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'stickiness.type', Value: 'lb_cookie' },
        { Key: 'stickiness.lb_cookie.duration_seconds', Value: '86400' },
      ],
    };
  },
  DescribeTargetHealth(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    const ids: string[] = input.Targets ? input.Targets.map((t: { Id: string }) => t.Id) : [...group.targets.keys()];
    // API reference, DescribeTargetHealth: InvalidTarget, "The specified target does not
    // exist, is not in the same VPC as the target group, or has an unsupported instance
    // type", fails the whole call; an existing instance that is simply not registered is
    // reported `unused` / Target.NotRegistered. An instance that is gone (terminated) and no
    // longer registered no longer exists for ELB: the ELBv2 TargetDeregistered waiter counts
    // InvalidTarget as deregistered. The message names no target, as AWS's does not.
    const invalid = ids.filter((id) => {
      const host = account.hosts.get(id);
      return !group.targets.has(id) && (!host || host.state === 'terminated' || host.state === 'shutting-down');
    });
    if (invalid.length > 0) {
      throw new SimulatedServiceError(
        'InvalidTargetException',
        'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.',
      );
    }
    return {
      TargetHealthDescriptions: ids.map((id) => {
        const state = account.targetState(group, id);
        const target = group.targets.get(id);
        const registered = target !== undefined && target.deregisteredAt === undefined;
        // TargetHealth reasons: unused + Target.InvalidState, "The target is in the stopped
        // or terminated state", for a registered instance that is not running.
        const reason =
          state === 'unused' ? (registered ? 'Target.InvalidState' : 'Target.NotRegistered')
          : state === 'draining' ? 'Target.DeregistrationInProgress'
          : state === 'initial' ? 'Elb.RegistrationInProgress'
          : state === 'unhealthy' ? 'Target.FailedHealthChecks'
          : undefined;
        return { Target: { Id: id, Port: group.port }, TargetHealth: { State: state, Reason: reason } };
      }),
    };
  },
  RegisterTargets(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    if (!input.Targets?.length) throw validation('Targets must not be empty');
    const ids: string[] = input.Targets.map((t: { Id: string }) => t.Id);
    // The call is refused as a whole (nothing registered) when a target is not valid: one
    // that does not exist, or an instance in another VPC than the target group's.
    if (ids.some((id) => !account.hosts.has(id) || account.hosts.get(id)!.vpcId !== group.vpcId)) {
      throw new SimulatedServiceError(
        'InvalidTargetException',
        'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.',
      );
    }
    const notRunning = ids.filter((id) => account.hosts.get(id)!.state !== 'running');
    if (notRunning.length > 0) {
      // AWS's message for instances that are not running, a new one still pending included
      // (RegisterTargets: "it must be in the running state when you register it").
      throw new SimulatedServiceError(
        'InvalidTargetException',
        `The following targets are not in a running state and cannot be registered: ${notRunning.map((id) => `'${id}'`).join(', ')}`,
      );
    }
    for (const id of ids) account.registerTarget(group, id);
    return {};
  },
  DeregisterTargets(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    if (!input.Targets?.length) throw validation('Targets must not be empty');
    for (const target of input.Targets) account.deregisterTarget(group, target.Id);
    return {};
  },
};
