/**
 * A major engine version upgrade by replace-database, at task level against the simulated
 * account: the plan tells it from a minor one (PostgreSQL: logical replication instead of
 * physical), checks by API what it needs before anything changes (a parameter group of the new
 * family for the green; rds.logical_replication = 1 on the blue's group, in sync), and refuses
 * otherwise naming the parameter and the fix; the simulated RDS fails or refuses the same
 * requests, and models logical replication's catch-up on the blue (OldestReplicationSlotLag).
 */
import { fileURLToPath } from 'node:url';
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBlueGreenDeploymentCommand, DescribeDBParametersCommand } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlueGreenUnsupportedError, GreenDatabaseFailedError, InvalidInputError, SwitchoverFailedError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { allClients } from '../../../lambdas/shared/clients';
import { cloudwatch } from '../../../lambdas/shared/aws/cloudwatch';
import { rds } from '../../../lambdas/shared/aws/rds';
import { majorOf, planReplaceDatabase } from '../../../lambdas/replace-database/plan';
import { checkGreen, createGreen } from '../../../lambdas/replace-database/green';
import { checkReplicaLag } from '../../../lambdas/replace-database/replica-lag';
import { startSwitchover } from '../../../lambdas/replace-database/switchover';
import type { ReplaceDatabasePlan } from '../../../lambdas/replace-database/types';
import { replaceDatabaseParts } from '../../../lib/plan/replace-database-plan';
import { estimateReplaceDatabase } from '../../../lib/plan/workflow-estimate';
import { SIM_ACCOUNT_ID, definitionOf, findDatabase, type SimulatedAccount } from '../../../lib/simulator/account';
import { BLUE_GREEN_PROVISION_SECONDS, INITIAL_REPLICA_LAG_SECONDS, LAG_SETTLE_SECONDS, LOGICAL_LAG_SETTLE_SECONDS } from '../../../lib/simulator/services/rds';
import { noFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';

/** canonical: PostgreSQL 16.4 on its custom group canonical-postgres16. */
const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));
const SOURCE = `arn:aws:rds:us-east-1:${SIM_ACCOUNT_ID}:db:canonical-db`;

let account: SimulatedAccount;
let detach: (() => void) | undefined;

/** The prerequisites a person sets up: logical replication on the blue's group (rebooted), and a group of the new family. */
function prepare(blueGroup = { 'rds.logical_replication': '1' }, pendingReboot = false): void {
  account.compute.dbParameterGroupSettings.set('canonical-postgres16', { parameters: blueGroup, pendingReboot });
  account.compute.dbParameterGroupSettings.set('canonical-postgres17', { family: 'postgres17', parameters: { 'rds.logical_replication': '1' } });
}

useSimulatedAwsEnvironment();
beforeEach(() => {
  account = seedAccount(canonical, noFaults());
  detach = attachSimulator(allClients as never, account);
});

afterEach(() => {
  detach?.();
});

const plan = (input: unknown, execution = 'exec-1'): Promise<ReplaceDatabasePlan> => planReplaceDatabase({ environment: canonical, input, execution });
const MAJOR = { engineVersion: '17.2', parameterGroup: 'canonical-postgres17' };
const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

describe('Plan Replace Database tells a major upgrade from a minor one', () => {
  it('plans PostgreSQL 16.4 → 17.2 with logical replication and the green on the given group of family postgres17; 16.4 → 16.8 physical', async () => {
    prepare();
    await expect(plan(MAJOR)).resolves.toMatchObject({ replication: 'logical', majorUpgrade: true, target: MAJOR });
    await expect(plan({ engineVersion: '16.8' })).resolves.toMatchObject({ replication: 'physical', majorUpgrade: false });
    expect(majorOf('postgres', '16.4')).not.toBe(majorOf('postgres', '17.2'));
    expect(majorOf('mysql', '8.0.39')).not.toBe(majorOf('mysql', '8.4.3'));
    expect(majorOf('mariadb', '10.11.9')).toBe(majorOf('mariadb', '10.11.10'));
  });

  it.each([
    ['no parameterGroup', { engineVersion: '17.2' }, InvalidInputError, /major version upgrade of postgres 16\.4[\s\S]*give parameterGroup, a DB parameter group of family postgres17[\s\S]*create-db-parameter-group/],
    ['a parameterGroup that does not exist', { engineVersion: '17.2', parameterGroup: 'nosuchgroup' }, InvalidInputError, /parameterGroup nosuchgroup does not exist/],
    ['a parameterGroup of the old family', { engineVersion: '17.2', parameterGroup: 'canonical-postgres16' }, InvalidInputError, /canonical-postgres16 is of family postgres16[\s\S]*whose family is postgres17/],
  ])('refuses %s before anything changes, naming the family to use', async (_what, input, error, reason) => {
    prepare();
    await expect(plan(input)).rejects.toThrow(error);
    await expect(plan(input)).rejects.toThrow(reason);
    expect(account.compute.blueGreenDeployments.size).toBe(0);
  });

  it('refuses a minor upgrade on a group of another family too (the group must fit the green)', async () => {
    prepare();
    await expect(plan({ engineVersion: '16.8', parameterGroup: 'canonical-postgres17' })).rejects.toThrow(/canonical-postgres17 is of family postgres17[\s\S]*family is postgres16/);
  });

  it('refuses when rds.logical_replication is not 1 on the blue\'s group, naming the parameter, the modify command and the reboot', async () => {
    prepare({ 'rds.logical_replication': '0' });
    await expect(plan(MAJOR)).rejects.toThrow(BlueGreenUnsupportedError);
    await expect(plan(MAJOR)).rejects.toThrow(
      /rds\.logical_replication = 1 in its parameter group canonical-postgres16 \(it is 0\): aws rds modify-db-parameter-group --db-parameter-group-name canonical-postgres16 --parameters ParameterName=rds\.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot, then aws rds reboot-db-instance --db-instance-identifier canonical-db/,
    );
    // What the plan read: DescribeDBParameters, as RDS reports the engine default.
    const { Parameters = [] } = await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'canonical-postgres16' }));
    expect(Parameters.find((p) => p.ParameterName === 'rds.logical_replication')).toMatchObject({ ParameterValue: '0', Source: 'user' });
  });

  it('refuses when the group is set but the instance was not rebooted (ParameterApplyStatus pending-reboot)', async () => {
    prepare({ 'rds.logical_replication': '1' }, true);
    await expect(plan(MAJOR)).rejects.toThrow(/canonical-postgres16 is pending-reboot[\s\S]*aws rds reboot-db-instance --db-instance-identifier canonical-db/);
  });

  it('refuses a blue on a default parameter group (which cannot be changed), and a source below 15.4 for a major upgrade', async () => {
    prepare();
    const db = findDatabase(account, 'canonical-db')!;
    Object.assign(db, { definition: { ...definitionOf(db), parameterGroup: 'default.postgres16' } });
    await expect(plan(MAJOR)).rejects.toThrow(/uses default\.postgres16 \(a default group cannot be changed\): create one of its family with rds\.logical_replication = 1/);
    Object.assign(db, { definition: { ...definitionOf(db), parameterGroup: 'canonical-postgres16', engineVersion: '15.3' } });
    account.compute.dbParameterGroupSettings.set('canonical-postgres16', { family: 'postgres15', parameters: { 'rds.logical_replication': '1' } });
    account.compute.dbParameterGroupSettings.set('canonical-postgres17', { family: 'postgres16', parameters: {} });
    await expect(plan({ engineVersion: '16.4', parameterGroup: 'canonical-postgres17' })).rejects.toThrow(/does not support a blue\/green major version upgrade from PostgreSQL 15\.3 \(the lowest source of 15 is 15\.4\)/);
  });

  it("says in the plan which replication the run uses and what it implies: DDL frozen, the lock keeping a release's migration out", async () => {
    prepare();
    const logical = replaceDatabaseParts(await plan(MAJOR));
    expect(logical.summary).toMatchObject({ replication: 'logical', majorUpgrade: true, green: { engineVersion: '17.2', parameterGroup: 'canonical-postgres17' } });
    expect(logical.database).toMatch(/logical replication[\s\S]*DDL[\s\S]*not replicated[\s\S]*holds the environment's lock[\s\S]*no release can migrate/);
    expect(logical.database).toMatch(/OldestReplicationSlotLag/);
    // format-plan.ts prints a clause a line, split on '; ': no parenthesis may hold one.
    for (const clause of logical.database.split('; ')) expect(clause.split('(').length, clause).toBe(clause.split(')').length);
    const physical = replaceDatabaseParts(await plan({}));
    expect(physical.summary.replication).toBe('physical');
    expect(physical.database).toMatch(/physical replication/);
    // The estimate counts logical replication's slower catch-up (an assumption it lists as such).
    const [slow, fast] = [estimateReplaceDatabase(await plan(MAJOR)), estimateReplaceDatabase(await plan({}))];
    expect(Math.abs(slow.expectedSeconds - fast.expectedSeconds - 240)).toBeLessThanOrEqual(2);
    expect(slow.undeclared.join('\n')).toMatch(/logical replication[\s\S]*OldestReplicationSlotLag[\s\S]*single-threaded/);
    expect(physical.database).not.toMatch(/not replicated/);
  });
});

describe('the simulated RDS on a major upgrade', () => {
  const create = (name: string, extra: Record<string, string> = {}) => rds.send(new CreateBlueGreenDeploymentCommand({ BlueGreenDeploymentName: name, Source: SOURCE, TargetEngineVersion: '17.2', ...extra }));

  it('refuses a target group that does not exist or is of another family, and a custom blue group kept across a major upgrade', async () => {
    prepare();
    await expect(create('a', { TargetDBParameterGroupName: 'nosuchgroup' })).rejects.toMatchObject({ name: 'DBParameterGroupNotFoundFault' });
    await expect(create('b', { TargetDBParameterGroupName: 'canonical-postgres16' })).rejects.toThrow(/DBParameterGroupFamily postgres16 can't be used[\s\S]*postgres17/);
    await expect(create('c')).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    expect(account.compute.blueGreenDeployments.size).toBe(0);
  });

  it('takes a request whose blue lacks rds.logical_replication, then fails it once provisioned (INVALID_CONFIGURATION, incompatible parameter(s)); Check Green names it', async () => {
    account.compute.dbParameterGroupSettings.set('canonical-postgres17', { family: 'postgres17', parameters: {} });
    const planned = { ...(await plan({})), target: MAJOR, replication: 'logical', majorUpgrade: true } as ReplaceDatabasePlan;
    const started = await createGreen({ execution: 'exec-1', plan: planned });
    advance(BLUE_GREEN_PROVISION_SECONDS);
    await expect(checkGreen({ execution: 'exec-1', plan: planned, phase: started })).rejects.toThrow(GreenDatabaseFailedError);
    await expect(checkGreen({ execution: 'exec-1', plan: planned, phase: started })).rejects.toThrow(/INVALID_CONFIGURATION \(Creation of blue\/green deployment failed due to incompatible parameter\(s\): \[rds\.logical_replication\][\s\S]*canonical-db still serves/);
  });

  it("models logical replication's catch-up on the blue: no ReplicaLag on the green, the blue's slot lag settling slower than physical replay", async () => {
    prepare();
    const planned = await plan(MAJOR);
    const started = await createGreen({ execution: 'exec-1', plan: planned });
    advance(BLUE_GREEN_PROVISION_SECONDS);
    const green = await checkGreen({ execution: 'exec-1', plan: planned, phase: started });
    expect(findDatabase(account, green.greenIdentifier!)?.definition).toMatchObject({ engineVersion: '17.2', parameterGroup: 'canonical-postgres17' });
    advance(60);
    const early = await checkReplicaLag({ execution: 'exec-1', plan: planned, greenIdentifier: green.greenIdentifier! });
    // The newest datapoint, the minute the green became available: 90 s of WAL behind, read on the blue.
    expect(early).toMatchObject({ done: false, lagSeconds: INITIAL_REPLICA_LAG_SECONDS });
    const greenLag = await cloudwatch.send(
      new GetMetricStatisticsCommand({ Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: green.greenIdentifier! }], StartTime: new Date(Date.now() - 300_000), EndTime: new Date(), Period: 60, Statistics: ['Maximum'] }),
    );
    expect(greenLag.Datapoints).toEqual([]);
    // Where physical replay would have settled, logical apply has not.
    advance(LAG_SETTLE_SECONDS + 60);
    const later = await checkReplicaLag({ execution: 'exec-1', plan: planned, greenIdentifier: green.greenIdentifier!, phase: early });
    expect(later.done).toBe(false);
    advance(LOGICAL_LAG_SETTLE_SECONDS - LAG_SETTLE_SECONDS - 60);
    await expect(checkReplicaLag({ execution: 'exec-1', plan: planned, greenIdentifier: green.greenIdentifier!, phase: later })).resolves.toMatchObject({ done: true, lagSeconds: 1 });
  });

  it('refuses the switchover once DDL ran on the blue (a migration): REPLICATION_DEGRADED, the blue serving on', async () => {
    prepare();
    const planned = await plan(MAJOR);
    const started = await createGreen({ execution: 'exec-1', plan: planned });
    advance(BLUE_GREEN_PROVISION_SECONDS);
    const green = await checkGreen({ execution: 'exec-1', plan: planned, phase: started });
    findDatabase(account, 'canonical-db')!.schemaRelease = 'a-later-release';
    await expect(startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId! })).rejects.toThrow(SwitchoverFailedError);
    await expect(startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId! })).rejects.toThrow(/DDL changes were made on the blue environment[\s\S]*REPLICATION_DEGRADED[\s\S]*canonical-db still serves/);
    expect(findDatabase(account, 'canonical-db')).not.toBe(findDatabase(account, green.greenIdentifier!));
  });
});
