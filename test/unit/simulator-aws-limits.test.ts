/**
 * The simulated account refuses or fails calls the way AWS does: EC2 filter limits, SSM
 * SendCommand to instances that are not valid, ELBv2 target health of targets that no
 * longer exist, RDS instance statuses around a snapshot. Calls go through callService, as
 * the handlers' SDK clients do in a simulated run.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { planRollback } from '../../lambdas/deploy/plan-rollback';
import { ec2 } from '../../lambdas/shared/aws/ec2';
import { elbv2 } from '../../lambdas/shared/aws/elbv2';
import type { DeployPlan, HostRef } from '../../lambdas/domain/contract/payloads';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { SNAPSHOT_SECONDS, type SimulatedAccount } from '../../lib/simulator/account';
import { InvalidFaultError, parseFaults } from '../../lib/simulator/faults';
import { RELEASE_TAG, type FleetOptions } from '../../lib/simulator/fleet';
import { attachSimulator } from '../../lib/simulator/intercept';
import { call, refusal, seedWithFaults } from './simulated-calls';
import { NOW, validationPlan, webTier } from './fixtures';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

const seed = (options: FleetOptions = {}, faults: readonly string[] = []): SimulatedAccount => seedWithFaults(faults, options);

const hostsOf = (account: SimulatedAccount, tier: string) => [...account.hosts.values()].filter((h) => h.tier === tier);
const elapse = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('EC2 DescribeInstances filter limits', () => {
  it('refuses 200 instance IDs plus an instance-state-name value (201 values) with FilterLimitExceeded', () => {
    // Prepare
    const account = seed({ hostsPerTier: 70 });
    const ids = [...account.hosts.keys()].slice(0, 200);

    // Act
    const error = refusal(() =>
      call(account, 'ec2', 'DescribeInstances', {
        Filters: [
          { Name: 'instance-id', Values: ids },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );

    // Assess
    expect(error.name).toBe('FilterLimitExceeded');
    expect(error.message).toBe('The maximum number of filter values specified on a single call is 200');
    expect((error as unknown as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });

  it('accepts exactly 200 values across the filters of a call', () => {
    // Prepare
    const account = seed({ hostsPerTier: 70 });
    const ids = [...account.hosts.keys()].slice(0, 199);

    // Act
    const output = call(account, 'ec2', 'DescribeInstances', {
      Filters: [
        { Name: 'instance-id', Values: ids },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });

    // Assess
    expect(output.Reservations).toHaveLength(199);
  });

  it('refuses a filter value longer than 255 characters', () => {
    // Prepare
    const account = seed();

    // Act
    const error = refusal(() => call(account, 'ec2', 'DescribeInstances', { Filters: [{ Name: 'tag:Name', Values: ['x'.repeat(256)] }] }));

    // Assess
    expect(error.name).toBe('FilterLimitExceeded');
    expect(error.message).toBe('The maximum length for a filter value is 255 characters');
  });

  it('lists a terminated instance with its state and code, which a running filter leaves out', () => {
    // Prepare
    const account = seed();
    const [web1] = hostsOf(account, 'web');
    account.setHostState(web1!.id, 'terminated');

    // Act
    const all = call(account, 'ec2', 'DescribeInstances', { Filters: [{ Name: 'instance-id', Values: [web1!.id] }] });
    const running = call(account, 'ec2', 'DescribeInstances', {
      Filters: [
        { Name: 'instance-id', Values: [web1!.id] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });

    // Assess
    expect(all.Reservations[0].Instances[0].State).toEqual({ Name: 'terminated', Code: 48 });
    expect(running.Reservations).toEqual([]);
  });

  it('refuses InstanceIds naming an instance that does not exist', () => {
    // Prepare
    const account = seed();

    // Act
    const error = refusal(() => call(account, 'ec2', 'DescribeInstances', { InstanceIds: ['i-0ffffffffffffffff'] }));

    // Assess
    expect(error.name).toBe('InvalidInstanceID.NotFound');
    expect(error.message).toBe("The instance ID 'i-0ffffffffffffffff' does not exist");
  });

  it('lets Plan Rollback read the release tags of a 450-host fleet within the limit, through the real SDK client', async () => {
    // Prepare: 225 web and 225 middle hosts, all moved to 2.0.0.
    const account = seed({ hostsPerTier: 225 });
    for (const host of account.hosts.values()) host.tags.set(RELEASE_TAG, '2.0.0');
    const refs = (tier: string): HostRef[] => hostsOf(account, tier).map((h) => ({ id: h.id, name: h.name, previous: '1.0.0' }));
    const groupOf = (tier: string) => [...account.targetGroups.values()].filter((g) => g.tier === tier).map((g) => g.arn);
    const tiers = ['middle', 'web'].map((name) => ({
      spec: webTier({ name, batchSize: 25, traffic: { kind: 'target-group', targetGroupArns: groupOf(name) } }),
      batchCount: 9,
      batches: [refs(name)],
    }));
    const plan: DeployPlan = {
      environment: 'canonical', component: 'application', release: '2.0.0', recordedRelease: '1.0.0', validation: validationPlan(),
      tiers, hostCount: 450, batchCount: 18, alreadyReleased: [], upToDate: false,
    };
    const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'ASIASIMULATED', AWS_SECRET_ACCESS_KEY: 'simulated' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    // Plan Rollback also reads target health, to put hosts that serve nothing back first.
    const detach = attachSimulator({ ec2: ec2 as never, elbv2: elbv2 as never }, account);

    try {
      // Act
      const rollback = await planRollback(plan);

      // Assess: every host found (no FilterLimitExceeded), in 3 calls.
      expect(rollback.hostCount).toBe(450);
      expect(account.calls.get('ec2:DescribeInstances')).toBe(3);
    } finally {
      detach();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('SSM SendCommand to instances that are not valid', () => {
  const web = canonical.tiers.find((t) => t.name === 'web');
  const installDocument = web && 'install' in web ? web.install.document : '';
  const send = (account: SimulatedAccount, ids: readonly string[]) =>
    call(account, 'ssm', 'SendCommand', { DocumentName: installDocument, InstanceIds: ids, Parameters: { release: ['2.0.0'] } });

  it.each(['terminated', 'shutting-down'] as const)('refuses the whole call, naming the host, when one instance is %s', (state) => {
    // Prepare
    const account = seed();
    const [web1, web2] = hostsOf(account, 'web');
    account.setHostState(web2!.id, state);

    // Act
    const error = refusal(() => send(account, [web1!.id, web2!.id]));

    // Assess: nothing was sent, not even to the running host.
    expect(error.name).toBe('InvalidInstanceId');
    expect(error.message).toBe(`Instances [[${web2!.id}]] not in a valid state for account 123456789012`);
    expect(account.commands.size).toBe(0);
  });

  it('refuses an instance ID that does not exist', () => {
    // Prepare
    const account = seed();

    // Act
    const error = refusal(() => send(account, ['i-0ffffffffffffffff']));

    // Assess
    expect(error.name).toBe('InvalidInstanceId');
    expect(account.commands.size).toBe(0);
  });

  it('accepts a stopped instance (a valid state) and does not deliver to it', () => {
    // Prepare
    const account = seed();
    const [web1, web2] = hostsOf(account, 'web');
    account.setHostState(web2!.id, 'stopped');

    // Act
    const output = send(account, [web1!.id, web2!.id]);

    // Assess
    const invocations = call(account, 'ssm', 'ListCommandInvocations', { CommandId: output.Command.CommandId }).CommandInvocations;
    expect(invocations.map((i: { InstanceId: string; StatusDetails: string }) => [i.InstanceId, i.StatusDetails])).toEqual([
      [web1!.id, 'Pending'],
      [web2!.id, 'Undeliverable'],
    ]);
  });
});

describe('ELBv2 DescribeTargetHealth and RegisterTargets for targets that are gone', () => {
  const groupOf = (account: SimulatedAccount) => [...account.targetGroups.values()].find((g) => g.tier === 'web')!;

  it('fails the whole call with InvalidTargetException for a terminated instance that is no longer registered', () => {
    // Prepare: web-1 was deregistered, drained, then terminated.
    const account = seed();
    const group = groupOf(account);
    const [web1, web2] = hostsOf(account, 'web');
    call(account, 'elbv2', 'DeregisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }] });
    elapse(600);
    account.setHostState(web1!.id, 'terminated');

    // Act
    const error = refusal(() => call(account, 'elbv2', 'DescribeTargetHealth', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }, { Id: web2!.id }] }));

    // Assess
    expect(error.name).toBe('InvalidTargetException');
    expect(error.message).toBe('The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.');
  });

  it('reports an existing instance that is simply not registered as unused, Target.NotRegistered', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account);
    const [web1] = hostsOf(account, 'web');
    call(account, 'elbv2', 'DeregisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }] });
    elapse(600);

    // Act
    const output = call(account, 'elbv2', 'DescribeTargetHealth', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }] });

    // Assess
    expect(output.TargetHealthDescriptions[0].TargetHealth).toEqual({ State: 'unused', Reason: 'Target.NotRegistered' });
  });

  it('reports a registered instance that was stopped or terminated as unused, Target.InvalidState', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account);
    const [web1] = hostsOf(account, 'web');
    account.setHostState(web1!.id, 'terminated');

    // Act
    const output = call(account, 'elbv2', 'DescribeTargetHealth', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }] });

    // Assess
    expect(output.TargetHealthDescriptions[0].TargetHealth).toEqual({ State: 'unused', Reason: 'Target.InvalidState' });
  });

  it('refuses to register an instance that is not running, and registers nothing of that call', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account);
    const [web1, web2] = hostsOf(account, 'web');
    call(account, 'elbv2', 'DeregisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }, { Id: web2!.id }] });
    elapse(600);
    account.setHostState(web2!.id, 'terminated');

    // Act
    const error = refusal(() => call(account, 'elbv2', 'RegisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: web1!.id }, { Id: web2!.id }] }));

    // Assess
    expect(error.name).toBe('InvalidTargetException');
    expect(error.message).toBe(`The following targets are not in a running state and cannot be registered: '${web2!.id}'`);
    expect(group.targets.has(web1!.id)).toBe(false);
  });

  it('deregisters a target that does not exist successfully, as AWS documents', () => {
    // Prepare
    const account = seed();
    const group = groupOf(account);

    // Act
    const output = call(account, 'elbv2', 'DeregisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: 'i-0ffffffffffffffff' }] });

    // Assess
    expect(output).toEqual({});
  });
});

describe('RDS instance status around a snapshot, and injected statuses', () => {
  const status = (account: SimulatedAccount) =>
    call(account, 'rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'canonical-db' }).DBInstances[0].DBInstanceStatus;
  const snapshot = (account: SimulatedAccount, id: string) =>
    call(account, 'rds', 'CreateDBSnapshot', { DBInstanceIdentifier: 'canonical-db', DBSnapshotIdentifier: id });

  it('reports backing-up while its snapshot is created, then available; the database served throughout', () => {
    // Prepare
    const account = seed();
    expect(status(account)).toBe('available');

    // Act
    snapshot(account, 'fleetflow-canonical-2-0-0-one');
    const during = status(account);
    elapse(SNAPSHOT_SECONDS - 1);
    const justBefore = status(account);
    elapse(1);
    const after = status(account);

    // Assess
    expect([during, justBefore, after]).toEqual(['backing-up', 'backing-up', 'available']);
    expect(account.databases.get('canonical-db')!.availableThroughout).toBe(true);
  });

  it('refuses a second snapshot while the instance is backing-up (InvalidDBInstanceState), and a retry of the same one as already existing', () => {
    // Prepare
    const account = seed();
    snapshot(account, 'fleetflow-canonical-2-0-0-one');

    // Act
    const other = refusal(() => snapshot(account, 'fleetflow-canonical-2-0-0-two'));
    const retry = refusal(() => snapshot(account, 'fleetflow-canonical-2-0-0-one'));

    // Assess
    expect(other.name).toBe('InvalidDBInstanceStateFault');
    expect(other.message).toBe('Cannot create a snapshot because the database instance canonical-db is not currently in the available state.');
    expect(retry.name).toBe('DBSnapshotAlreadyExistsFault');
    expect(account.snapshots.has('fleetflow-canonical-2-0-0-two')).toBe(false);
  });

  it('puts the instance in an injected status for its window, and counts a status that does not serve even between two calls', () => {
    // Prepare: rebooting from 10 s to 40 s; the only calls are at 0 s and 100 s.
    const account = seed({}, ['db-status:rebooting@10+30']);
    expect(status(account)).toBe('available');

    // Act
    elapse(100);
    const after = status(account);

    // Assess
    expect(after).toBe('available');
    expect(account.databases.get('canonical-db')!.availableThroughout).toBe(false);
  });

  it('reports an injected status during its window and refuses a snapshot then', () => {
    // Prepare
    const account = seed({}, ['db-status:modifying@0+300']);

    // Act
    const during = status(account);
    const error = refusal(() => snapshot(account, 'fleetflow-canonical-2-0-0-one'));

    // Assess: modifying serves; a snapshot must wait for available (or storage-optimization).
    expect(during).toBe('modifying');
    expect(error.name).toBe('InvalidDBInstanceStateFault');
    expect(account.databases.get('canonical-db')!.availableThroughout).toBe(true);
  });

  it('takes a snapshot of an instance in storage-optimization, as CreateDBSnapshot allows', () => {
    // Prepare
    const account = seed({ databaseStatus: 'storage-optimization' });

    // Act
    const output = snapshot(account, 'fleetflow-canonical-2-0-0-one');

    // Assess
    expect(output.DBSnapshot.Status).toBe('creating');
  });

  it('seeds a database in a status that does not serve, which the report counts', () => {
    // Prepare
    const account = seed({ databaseStatus: 'storage-full' });

    // Act
    const seen = status(account);

    // Assess
    expect(seen).toBe('storage-full');
    expect(account.databases.get('canonical-db')!.availableThroughout).toBe(false);
  });

  it('refuses a malformed db-status fault', () => {
    // Act
    const act = () => parseFaults(['db-status:modifying'], new Set(), new Set());

    // Assess
    expect(act).toThrow(InvalidFaultError);
    expect(act).toThrow('use db-status:STATUS@SECONDS[+DURATION]');
  });
});
