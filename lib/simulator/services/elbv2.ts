/**
 * Elastic Load Balancing v2 in the simulated account: target groups, their attributes, target
 * health, RegisterTargets and DeregisterTargets (the target state model itself is the
 * account's: account.ts `targetState`).
 */
import { type Operation, checkRange } from './common';
import { SimulatedServiceError, validation } from '../aws-errors';

export const elbv2: Record<string, Operation> = {
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
        LoadBalancerArns: [],
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
