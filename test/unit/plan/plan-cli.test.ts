/**
 * `fleetflow plan --workflow W` on the command line, in process: each workflow's inputs by the
 * options its simulate command takes, another workflow's option refused (exit 2) before anything
 * is read, a refusal of the workflow's planner exiting 1 with its name and message, and --json one
 * document. And the guard under every plan: reads pass, the planners' batch writes to the plan
 * table are kept and never sent, any other write is refused before it is sent.
 */
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

  it('exits 1 with the workflow\'s error name and message when its planner refuses', async () => {
    const run = await fleetflow('plan', '--simulated', '--workflow', 'scale-out', '--tier', 'database', '--add', '1');

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('fleetflow: a scale-out would be refused: InvalidInputError: tier: tier database is the data tier; its instance is not launched from a template\n');
  });
});

describe('the plan guard', () => {
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
