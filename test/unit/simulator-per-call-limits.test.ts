/**
 * The per-call limits FleetFlow's handlers cite and respect, enforced by the simulated
 * account as AWS enforces them: a call at the limit is served, one past it is refused with
 * AWS's error. If the simulator stopped enforcing a limit, a handler that broke it would
 * pass offline and fail on AWS; these tests fail first. The AWS sentence of each limit is in
 * docs/aws-behaviour.md ("Quotas and per-call limits the code cites").
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../../lib/simulator/account';
import { noFaults } from '../../lib/simulator/faults';
import { PLAN_TABLE_NAME as PLAN_TABLE, seedAccount } from '../../lib/simulator/fleet';
import { call, refusal } from './simulated-calls';
import { MAX_INSTANCES_PER_COMMAND } from '../../lambdas/shared/ssm-commands';
import { NOW } from './fixtures';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

const webIds = (account: SimulatedAccount) => [...account.hosts.values()].filter((h) => h.tier === 'web').map((h) => h.id);
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SSM SendCommand: at most 50 instance IDs, a comment of at most 100 characters', () => {
  const send = (account: SimulatedAccount, ids: readonly string[], comment = 'fleetflow') =>
    call(account, 'ssm', 'SendCommand', { DocumentName: 'FleetFlow-InstallRelease', InstanceIds: ids, Parameters: { release: ['2.0.0'] }, Comment: comment });

  it(`sends to ${MAX_INSTANCES_PER_COMMAND} instances and refuses ${MAX_INSTANCES_PER_COMMAND + 1}, sending nothing`, () => {
    // Prepare
    const account = seedAccount(canonical, noFaults(), { hostsPerTier: MAX_INSTANCES_PER_COMMAND + 1 });
    const ids = webIds(account);

    // Act
    const over = refusal(() => send(account, ids));
    const sentBefore = account.commands.size;
    const at = send(account, ids.slice(0, MAX_INSTANCES_PER_COMMAND));

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(sentBefore).toBe(0);
    expect(at.Command.InstanceIds).toHaveLength(MAX_INSTANCES_PER_COMMAND);
  });

  it('refuses a comment longer than 100 characters', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());

    // Act
    const over = refusal(() => send(account, webIds(account), 'x'.repeat(101)));
    const at = send(account, webIds(account), 'x'.repeat(100));

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(at.Command.CommandId).toBeTruthy();
  });

  it('lists invocations 50 at a time at most (ListCommandInvocations MaxResults 1-50)', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    const { Command } = send(account, webIds(account));

    // Act
    const over = refusal(() => call(account, 'ssm', 'ListCommandInvocations', { CommandId: Command.CommandId, MaxResults: 51 }));
    const at = call(account, 'ssm', 'ListCommandInvocations', { CommandId: Command.CommandId, MaxResults: 50 });

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(at.CommandInvocations).toHaveLength(webIds(account).length);
  });
});

describe('EC2 CreateTags and DeleteTags: at most 1,000 resource IDs', () => {
  it.each(['CreateTags', 'DeleteTags'])('%s serves 1,000 resource IDs and refuses 1,001, changing nothing', (operation) => {
    // Prepare: one instance named 1,001 times, so only the count differs.
    const account = seedAccount(canonical, noFaults());
    const [web1] = webIds(account);
    const host = account.hosts.get(web1!)!;
    host.tags.set('fleetflow:out-of-traffic', 'before');
    const request = (n: number) => ({ Resources: times(n, () => web1!), Tags: [{ Key: 'fleetflow:out-of-traffic', ...(operation === 'CreateTags' ? { Value: 'after' } : {}) }] });

    // Act
    const over = refusal(() => call(account, 'ec2', operation, request(1001)));
    const untouched = host.tags.get('fleetflow:out-of-traffic');
    call(account, 'ec2', operation, request(1000));

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(untouched).toBe('before');
    expect(host.tags.get('fleetflow:out-of-traffic')).toBe(operation === 'CreateTags' ? 'after' : undefined);
  });
});

describe('EC2 tags: at most 50 per instance', () => {
  it('refuses a CreateTags that would give an instance a 51st tag, tagging no instance of the call', () => {
    // Prepare: web-1 already carries 50 tags; web-2 has room.
    const account = seedAccount(canonical, noFaults());
    const [web1, web2] = webIds(account);
    const host1 = account.hosts.get(web1!)!;
    for (let i = 0; host1.tags.size < 50; i += 1) host1.tags.set(`team:${i}`, 'x');

    // Act
    const over = refusal(() => call(account, 'ec2', 'CreateTags', { Resources: [web2, web1], Tags: [{ Key: 'fleetflow:out-of-traffic', Value: 'e1' }] }));
    call(account, 'ec2', 'CreateTags', { Resources: [web1], Tags: [{ Key: 'team:0', Value: 'overwritten' }] });

    // Assess: overwriting an existing key adds no tag.
    expect(over.name).toBe('TagLimitExceeded');
    expect(account.hosts.get(web2!)!.tags.has('fleetflow:out-of-traffic')).toBe(false);
    expect(host1.tags.get('team:0')).toBe('overwritten');
  });
});

describe('DynamoDB batch calls: BatchWriteItem 25 requests, BatchGetItem 100 keys', () => {
  const put = (i: number) => ({ PutRequest: { Item: { pk: { S: `canonical#x#release#web#${i}` }, hosts: { S: '[]' } } } });

  it('writes 25 items in one call and refuses 26, writing none', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());

    // Act
    const over = refusal(() => call(account, 'dynamodb', 'BatchWriteItem', { RequestItems: { [PLAN_TABLE]: times(26, put) } }));
    const writtenBefore = account.table(PLAN_TABLE).size;
    call(account, 'dynamodb', 'BatchWriteItem', { RequestItems: { [PLAN_TABLE]: times(25, put) } });

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(writtenBefore).toBe(0);
    expect(account.table(PLAN_TABLE).size).toBe(25);
  });

  it('reads 100 keys in one call and refuses 101', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    for (let i = 0; i < 101; i += 25) call(account, 'dynamodb', 'BatchWriteItem', { RequestItems: { [PLAN_TABLE]: times(Math.min(25, 101 - i), (j) => put(i + j)) } });
    const keys = (n: number) => times(n, (i) => ({ pk: { S: `canonical#x#release#web#${i}` } }));

    // Act
    const over = refusal(() => call(account, 'dynamodb', 'BatchGetItem', { RequestItems: { [PLAN_TABLE]: { Keys: keys(101) } } }));
    const at = call(account, 'dynamodb', 'BatchGetItem', { RequestItems: { [PLAN_TABLE]: { Keys: keys(100) } } });

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(at.Responses[PLAN_TABLE]).toHaveLength(100);
  });
});

describe('CloudWatch DescribeAlarms: at most 100 names, and names or a prefix, not both', () => {
  it('reads 100 names in one call and refuses 101', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    const names = (n: number) => times(n, (i) => `canonical-alarm-${i}`);

    // Act
    const over = refusal(() => call(account, 'cloudwatch', 'DescribeAlarms', { AlarmNames: names(101) }));
    const at = call(account, 'cloudwatch', 'DescribeAlarms', { AlarmNames: names(100) });

    // Assess
    expect(over.name).toBe('ValidationException');
    expect(at.MetricAlarms).toEqual([]);
  });

  it('refuses AlarmNames together with AlarmNamePrefix', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());

    // Act
    const both = refusal(() => call(account, 'cloudwatch', 'DescribeAlarms', { AlarmNames: ['canonical-web-5xx'], AlarmNamePrefix: 'canonical-' }));

    // Assess
    expect(both.name).toBe('ValidationException');
  });
});

describe('EC2 DescribeInstances: MaxResults 5-1000', () => {
  it.each([4, 1001])('refuses MaxResults %i', (MaxResults) => {
    // Prepare
    const account = seedAccount(canonical, noFaults());

    // Act
    const error = refusal(() => call(account, 'ec2', 'DescribeInstances', { MaxResults }));

    // Assess
    expect(error.name).toBe('ValidationException');
  });
});

describe('EC2 DescribeInstanceStatus: at most 100 instance IDs', () => {
  it('reads 100 instance IDs and refuses 101', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults(), { hostsPerTier: 101 });
    const ids = webIds(account);

    // Act
    const over = refusal(() => call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: ids }));
    const at = call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: ids.slice(0, 100) });

    // Assess
    expect(over.name).toBe('InvalidParameterValue');
    expect(at.InstanceStatuses).toHaveLength(100);
  });
});

describe('SSM DescribeInstanceInformation: a filter of 1 to 100 values, MaxResults 5-50', () => {
  it('refuses a filter of 101 values and MaxResults 51', () => {
    // Prepare
    const account = seedAccount(canonical, noFaults(), { hostsPerTier: 101 });
    const ids = webIds(account);

    // Act
    const values = refusal(() => call(account, 'ssm', 'DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: ids }] }));
    const page = refusal(() => call(account, 'ssm', 'DescribeInstanceInformation', { MaxResults: 51 }));
    const at = call(account, 'ssm', 'DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: ids.slice(0, 100) }], MaxResults: 50 });

    // Assess
    expect(values.name).toBe('ValidationException');
    expect(page.name).toBe('ValidationException');
    expect(at.InstanceInformationList.length).toBeGreaterThan(0);
  });
});
