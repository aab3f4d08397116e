/**
 * The drain as the simulated account shows it, against what AWS documents (docs/aws-behaviour.md,
 * Elastic Load Balancing): a deregistered target is `draining` until its target group's
 * deregistration delay has elapsed, even when its connections closed earlier; the host's own
 * connections close on their own time, which the host-side drain check document reads.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { drainBoundSeconds, type SimTargetGroup, type SimulatedAccount } from '../../lib/simulator/account';
import { call, seedWithFaults as seed } from './simulated-calls';
import { NOW } from './fixtures';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));
const DRAIN_CHECK = canonical.tiers.flatMap((t) => (t.role !== 'data' && t.drain.check ? [t.drain.check.document] : []))[0]!;

const elapse = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);
const groupOf = (account: SimulatedAccount, tier: string): SimTargetGroup => [...account.targetGroups.values()].find((g) => g.tier === tier)!;
const hostNamed = (account: SimulatedAccount, name: string) => [...account.hosts.values()].find((h) => h.name === name)!;

/** What DescribeTargetHealth says of one target. */
function health(account: SimulatedAccount, group: SimTargetGroup, id: string): { State: string; Reason?: string } {
  return call(account, 'elbv2', 'DescribeTargetHealth', { TargetGroupArn: group.arn, Targets: [{ Id: id }] }).TargetHealthDescriptions[0].TargetHealth;
}

const deregister = (account: SimulatedAccount, group: SimTargetGroup, id: string) =>
  call(account, 'elbv2', 'DeregisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: id }] });

/** Sends the drain check to one host and returns a reader of its invocation. */
function sendDrainCheck(account: SimulatedAccount, id: string, timeoutSeconds: number) {
  const { Command } = call(account, 'ssm', 'SendCommand', {
    DocumentName: DRAIN_CHECK,
    InstanceIds: [id],
    Parameters: { ports: ['80'], timeoutSeconds: [String(timeoutSeconds)] },
  });
  return () => call(account, 'ssm', 'GetCommandInvocation', { CommandId: Command.CommandId, InstanceId: id });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ELB target states around a deregistration', () => {
  it('shows a deregistered target draining until the delay, even with its connections closed, and unused from the delay on', () => {
    // Prepare: web-1 closes its connections 6 s after it is deregistered; the delay is ELB's default 300 s
    const account = seed();
    const group = groupOf(account, 'web');
    const web1 = hostNamed(account, 'web-1');
    expect(group.deregistrationDelaySeconds).toBe(300);

    // Act
    deregister(account, group, web1.id);
    elapse(299);
    const atDelayLessOne = health(account, group, web1.id);
    const connectionsOpen = account.connectionsOpen(web1);
    elapse(1);
    const atDelay = health(account, group, web1.id);

    // Assess
    expect(atDelayLessOne).toEqual({ State: 'draining', Reason: 'Target.DeregistrationInProgress' });
    expect(connectionsOpen).toBe(false);
    expect(atDelay).toEqual({ State: 'unused', Reason: 'Target.NotRegistered' });
    expect(group.targets.has(web1.id)).toBe(false);
  });

  it("ends draining at the target group's own delay when it was lowered", () => {
    // Prepare
    const account = seed();
    const group = groupOf(account, 'web');
    group.deregistrationDelaySeconds = 30;
    const web1 = hostNamed(account, 'web-1');

    // Act
    deregister(account, group, web1.id);
    elapse(29);
    const before = health(account, group, web1.id).State;
    elapse(1);
    const after = health(account, group, web1.id).State;

    // Assess
    expect([before, after]).toEqual(['draining', 'unused']);
  });

  it('keeps the connections of a drain-stuck host open until the delay, when ELB completes the deregistration', () => {
    // Prepare
    const account = seed(['drain-stuck:web-2']);
    const group = groupOf(account, 'web');
    const web2 = hostNamed(account, 'web-2');

    // Act
    deregister(account, group, web2.id);
    elapse(299);
    const openBefore = account.connectionsOpen(web2);
    elapse(1);

    // Assess
    expect(openBefore).toBe(true);
    expect(account.connectionsOpen(web2)).toBe(false);
    expect(health(account, group, web2.id).State).toBe('unused');
  });

  it('registers a draining target again: initial, healthy after its health checks, and it stays past the old delay', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account, 'web');
    const web1 = hostNamed(account, 'web-1');
    deregister(account, group, web1.id);
    elapse(10);

    // Act
    call(account, 'elbv2', 'RegisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: web1.id }] });
    const registered = health(account, group, web1.id);
    elapse(group.intervalSeconds * group.healthyThreshold);
    const checked = health(account, group, web1.id).State;
    elapse(600);

    // Assess
    expect(registered).toEqual({ State: 'initial', Reason: 'Elb.RegistrationInProgress' });
    expect(checked).toBe('healthy');
    expect(health(account, group, web1.id).State).toBe('healthy');
    expect(account.connectionsOpen(web1)).toBe(true);
  });

  it('shows a registered target that starts failing its health checks healthy until the unhealthy threshold, then unhealthy', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account, 'web');
    const web1 = hostNamed(account, 'web-1');
    const threshold = group.intervalSeconds * group.unhealthyThreshold;

    // Act
    account.setHealth(web1, account.now(), false);
    elapse(threshold - 1);
    const before = health(account, group, web1.id);
    elapse(1);
    const after = health(account, group, web1.id);

    // Assess
    expect(before).toEqual({ State: 'healthy' });
    expect(after).toEqual({ State: 'unhealthy', Reason: 'Target.FailedHealthChecks' });
  });

  it('answers DescribeTargetGroupAttributes with deregistration_delay.timeout_seconds and the other attributes of an ALB target group', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account, 'middle');

    // Act
    const { Attributes } = call(account, 'elbv2', 'DescribeTargetGroupAttributes', { TargetGroupArn: group.arn });

    // Assess
    expect(Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '300' });
    expect(Attributes.map((a: { Key: string }) => a.Key)).toEqual(expect.arrayContaining(['stickiness.enabled', 'slow_start.duration_seconds']));
  });
});

describe('the host-side drain check document', () => {
  it("succeeds when the host's connections close, while ELB still shows the target draining", () => {
    // Prepare: mid-1 closes its connections 12 s after it is deregistered
    const account = seed();
    const group = groupOf(account, 'middle');
    const mid1 = hostNamed(account, 'mid-1');
    deregister(account, group, mid1.id);

    // Act
    const invocation = sendDrainCheck(account, mid1.id, 120);
    elapse(11);
    const before = invocation().Status;
    elapse(1);

    // Assess
    expect(before).toBe('InProgress');
    expect(invocation()).toMatchObject({ Status: 'Success', ResponseCode: 0 });
    expect(health(account, group, mid1.id).State).toBe('draining');
  });

  it('fails at its timeout, saying so, when the connections are still open (drain-stuck)', () => {
    // Prepare
    const account = seed(['drain-stuck:mid-1']);
    const group = groupOf(account, 'middle');
    const mid1 = hostNamed(account, 'mid-1');
    deregister(account, group, mid1.id);

    // Act
    const invocation = sendDrainCheck(account, mid1.id, 60);
    elapse(61);

    // Assess
    expect(invocation()).toMatchObject({ Status: 'Failed', ResponseCode: 1, StandardErrorContent: 'drain check: connections still open on 80 after 60s' });
    expect(health(account, group, mid1.id).State).toBe('draining');
  });

  it('fails at its timeout on a host still registered: it serves traffic', () => {
    // Prepare
    const account = seed();
    const mid1 = hostNamed(account, 'mid-1');

    // Act
    const invocation = sendDrainCheck(account, mid1.id, 30);
    elapse(31);

    // Assess
    expect(invocation().Status).toBe('Failed');
  });
});

describe('the drain a lower bound counts', () => {
  it("is the delay without a drain check, and the host's connection close with one, the delay again when the check gives up first", () => {
    // Prepare
    const account = seed(['drain-stuck:web-2']);
    const groups = [groupOf(account, 'web')];
    const [web1, web2] = [hostNamed(account, 'web-1'), hostNamed(account, 'web-2')];

    // Act
    const bounds = [
      drainBoundSeconds(account, web1, groups),
      drainBoundSeconds(account, web1, groups, { timeoutSeconds: 120 }),
      drainBoundSeconds(account, web2, groups, { timeoutSeconds: 120 }),
    ];

    // Assess
    expect(bounds).toEqual([300, web1.profile.drainSeconds, 300]);
  });
});
