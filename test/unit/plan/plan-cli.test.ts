/**
 * `fleetflow plan --workflow W` on the command line, in process: each workflow's inputs by the
 * options its simulate command takes, another workflow's option refused (exit 2) before anything
 * is read, a refusal of the workflow's planner exiting 1 with its name and message, and --json one
 * document. And the guard under every plan: reads pass, the planners' batch writes to the plan
 * table are kept and never sent, any other write is refused before it is sent.
 */
import { fileURLToPath } from 'node:url';
import { BatchWriteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allClients } from '../../../lambdas/shared/clients';
import { main } from '../../../lib/cli/main';
import { WORKFLOWS } from '../../../lib/cli/commands/plan';
import { PLANNED_WORKFLOWS } from '../../../lib/plan/plan-workflow';
import { guardReadOnly, PLAN_TABLE_UNSENT, PlanWouldWriteError, type KeptBatches } from '../../../lib/plan/plan-context';
import { noFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { useSimulatedAwsEnvironment } from '../../../lib/simulator/simulate';
import { canonical } from '../../e2e/helpers';
import { OUT_OF_TRAFFIC_TAG } from '../../../lambdas/domain/contract/tags';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import type { EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { planWorkflow, type PlannedWorkflow } from '../../../lib/plan/plan-workflow';

/** canonical with a database password its owner keeps: one RDS Blue/Green Deployments can replace. */
const FIXTURE = fileURLToPath(new URL('../../fixtures/self-managed-password.json', import.meta.url));

afterEach(() => vi.restoreAllMocks());

async function fleetflow(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { status: await main(argv), stdout, stderr };
  } finally {
    vi.mocked(process.stdout.write).mockRestore();
    vi.mocked(process.stderr.write).mockRestore();
  }
}

describe('fleetflow plan --workflow', () => {
  it('offers every workflow the planner table plans, and no other', () => {
    expect([...WORKFLOWS].sort()).toEqual([...PLANNED_WORKFLOWS].sort());
  });

  it('prints one JSON document of the workflow\'s plan, with its inputs by simulate\'s option names', async () => {
    const run = await fleetflow('plan', '--simulated', '--workflow', 'scale-out', '--tier', 'web', '--add', '3', '--json');

    expect(run.status, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { workflow: string; steps: Array<{ tier: string; action: string; hosts: number; perZone: Record<string, number> }>; network: Array<{ tier: string; listeners: number }> };
    expect(document.workflow).toBe('scale-out');
    // Three web hosts, placed so the tier ends balanced over its two zones (2 + 2 before).
    expect(document.steps).toEqual([expect.objectContaining({ tier: 'web', action: 'launch', hosts: 3, perZone: { 'us-east-1a': 2, 'us-east-1b': 1 } })]);
    expect(document.network).toEqual([expect.objectContaining({ tier: 'web', listeners: 1 })]);
  });

  it.each([
    [['--workflow', 'replace', '--targets', 'web-1', '--add', '2'], '--add is not an input of --workflow replace'],
    [['--workflow', 'scale-out', '--tier', 'web'], 'plan --workflow scale-out needs --tier TIER and --add N'],
    [['--workflow', 'restore-data', '--source', 'latest', '--release', '1.2.0'], '--release is not an input of --workflow restore-data'],
    [['--workflow', 'rebuild'], '--workflow'],
    [['--workflow', 'scale-in', '--tier', 'web'], 'plan --workflow scale-in needs --tier TIER and --remove N'],
    [['--workflow', 'scale-in', '--tier', 'web', '--remove', '1', '--max-lag', '3'], '--max-lag is not an input of --workflow scale-in (its options: --tier, --remove)'],
    [['--workflow', 'replace-database', '--switchover-timeout', '10'], '--switchover-timeout must be a whole number from 30 to 3600'],
  ])('refuses %j with one line and exit 2, before anything is read', async (argv, message) => {
    const run = await fleetflow('plan', '--simulated', ...argv);

    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
  });

  it('prints a bounded plan at any fleet size: a tier\'s batches summarised, no line over 200 characters', async () => {
    const run = await fleetflow('plan', '--simulated', '--hosts', '300', '--workflow', 'restore-data', '--source', 'latest');
    const lines = run.stdout.trimEnd().split('\n');

    expect(run.status, run.stderr).toBe(0);
    expect(lines.length).toBeLessThanOrEqual(25);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(200);
    expect(lines).toContain('    batch 300/300: web-300 out of traffic, 299 stay in service');
    expect(lines).toContain('    … 296 more batch(es) alike');
    expect(run.stdout).toMatch(/recovery point: 2026-01-06T02:55:00.000Z .*; loses 5 min of writes before now/);
  });

  it('prints a scale-in bounded at any count: three chosen hosts named with their zone and launch, the rest counted', async () => {
    const run = await fleetflow('plan', '--simulated', '--hosts', '300', '--workflow', 'scale-in', '--tier', 'web', '--remove', '100');
    const lines = run.stdout.trimEnd().split('\n');

    expect(run.status, run.stderr).toBe(0);
    expect(lines.length).toBeLessThanOrEqual(16);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(200);
    expect(lines.filter((l) => /^ {4}web-\d+: us-east-1[ab], launched \d{4}-\d\d-\d\d \d\d:\d\d$/.test(l))).toHaveLength(3);
    expect(lines).toContain('    … 97 more');
    // 150 in each zone before; the zones stay level.
    expect(lines).toContain('  web: hosts per zone: us-east-1a 150 → 100, us-east-1b 150 → 100');
    // One retire batch: the other 200 hold the floor (ceil(50% of 300) = 150) while the 100 leave.
    expect(lines.filter((l) => /^ {4}batch 1\/1: 100 hosts: web-\d+ … web-\d+ out of traffic, 200 stay in service$/.test(l))).toHaveLength(1);
  });

  it('plans a database replacement as one JSON document: supported, the green, the lag threshold and the switchover timeout', async () => {
    const run = await fleetflow('plan', '--simulated', '--env', FIXTURE, '--workflow', 'replace-database', '--engine-version', '16.4', '--max-lag', '10', '--json');

    expect(run.status, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { workflow: string; replaceDatabase: Record<string, unknown>; steps: unknown[]; estimate: { childExecutions: number } };
    expect(document.workflow).toBe('replace-database');
    expect(document.replaceDatabase).toMatchObject({ supported: true, green: { engine: 'postgres', engineVersion: '16.4' }, maxLagSeconds: 10, switchoverTimeoutSeconds: 300, lagTimeoutSeconds: 1800 });
    expect(document.steps).toEqual([]);
    expect(document.estimate.childExecutions).toBe(0);
  });

  it('exits 1 with the workflow\'s error name and message when its planner refuses', async () => {
    const run = await fleetflow('plan', '--simulated', '--workflow', 'scale-out', '--tier', 'database', '--add', '1');

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('fleetflow: a scale-out would be refused: InvalidInputError: tier: tier database is the data tier; its instance is not launched from a template\n');
  });
});

describe('the plan guard', () => {
  /** Plans on the AWS path (the guard, no fake clock) with the SDK answered by a simulated account, which counts every call it receives. */
  async function planAgainst(account: SimulatedAccount, workflow: PlannedWorkflow, environment: EnvironmentDefinition, input: unknown) {
    const restore = useSimulatedAwsEnvironment();
    const detach = attachSimulator(allClients as never, account);
    try {
      return await planWorkflow({ workflow, environment, input });
    } finally {
      detach();
      restore();
    }
  }
  /** Every service:operation the account received: a plan makes reads only (a write would have been refused before it was sent, and not counted). */
  const operations = (account: SimulatedAccount) => [...account.calls.keys()].filter((k) => k.includes(':'));

  it('plans scale-in and replace-database with reads only, as the workflow would choose', async () => {
    const fleet = seedAccount(canonical, noFaults(), { hostsPerTier: 4 });
    // A host a stopped run left out of traffic goes first, whatever its age.
    const outOfTraffic = [...fleet.hosts.values()].find((h) => h.name === 'web-4')!;
    outOfTraffic.tags.set(OUT_OF_TRAFFIC_TAG, 'a-stopped-run');
    const scaleIn = await planAgainst(fleet, 'scale-in', canonical, { tier: 'web', remove: 2 });
    const fixture = loadEnvironmentFile(FIXTURE);
    const database = seedAccount(fixture, noFaults());
    const replaced = await planAgainst(database, 'replace-database', fixture, { instanceClass: 'db.r6g.large' });

    if (scaleIn.workflow !== 'scale-in' || replaced.workflow !== 'replace-database') throw new Error('planned another workflow');
    expect(scaleIn.report.scaleIn!.chosen[0]).toMatchObject({ name: 'web-4', outOfTraffic: true });
    expect(scaleIn.report.scaleIn!.chosen).toHaveLength(2);
    expect(replaced.report.replaceDatabase!.green.instanceClass).toBe('db.r6g.large');
    for (const account of [fleet, database]) {
      expect(operations(account).length).toBeGreaterThan(0);
      expect(operations(account).filter((k) => !/:(Describe|Get|List|BatchGet|Query|Scan)[A-Z]/.test(k))).toEqual([]);
    }
    // Nothing in the account changed: the host is still in service, tagged as before, no blue/green deployment exists.
    expect(outOfTraffic.state).toBe('running');
    expect(database.compute.blueGreenDeployments.size).toBe(0);
  });

  it('keeps the batches a planner stores in the plan table, sends nothing, and refuses any other write', async () => {
    const restore = useSimulatedAwsEnvironment();
    const account = seedAccount(canonical, noFaults());
    const detach = attachSimulator(allClients as never, account);
    const kept: KeptBatches = new Map();
    const release = guardReadOnly(allClients, 'plan', kept);
    const hosts = [{ id: 'i-1', name: 'web-1', previous: '1.0.0' }];
    const put = (table: string) =>
      allClients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: [{ PutRequest: { Item: { pk: { S: 'k#0' }, hosts: { S: JSON.stringify(hosts) } } } }] } }));
    try {
      await expect(allClients.ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
      await expect(put(PLAN_TABLE_UNSENT)).resolves.toMatchObject({ UnprocessedItems: {} });
      expect(kept.get('k#0')).toEqual(hosts);
      await expect(put('another-table')).rejects.toThrow(PlanWouldWriteError);
      await expect(allClients.dynamodb.send(new PutItemCommand({ TableName: PLAN_TABLE_UNSENT, Item: { pk: { S: 'x' } } }))).rejects.toThrow(PlanWouldWriteError);
      expect(account.calls.get('dynamodb:BatchWriteItem') ?? 0).toBe(0);
      expect(account.calls.get('dynamodb:PutItem') ?? 0).toBe(0);
    } finally {
      release();
      detach();
      restore();
    }
  });
});
