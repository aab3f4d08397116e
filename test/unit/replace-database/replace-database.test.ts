/**
 * Replace-database at task level, against the simulated account: the input refused field by
 * field; the plan refusing, before anything changes, what RDS Blue/Green Deployments do not
 * support (pointing to restore-data); Create Green safe to retry and never adopting another
 * execution's deployment; the simulated switchover renaming the instances, or rolled back past
 * its timeout with the blue serving on.
 */
import { fileURLToPath } from 'node:url';
import { CreateBlueGreenDeploymentCommand } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseReplaceDatabaseInput } from '../../../lambdas/domain/replace-database-input';
import { BlueGreenUnsupportedError, InvalidInputError, InventoryError, SwitchoverFailedError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { allClients } from '../../../lambdas/shared/clients';
import { compareVersions, planReplaceDatabase } from '../../../lambdas/replace-database/plan';
import { checkGreen, createGreen } from '../../../lambdas/replace-database/green';
import { AVAILABLE_GRACE_SECONDS, checkSwitchover, startSwitchover } from '../../../lambdas/replace-database/switchover';
import { checkReplicaLag } from '../../../lambdas/replace-database/replica-lag';
import { recordReplacement } from '../../../lambdas/replace-database/record-replacement';
import type { ReplaceDatabasePlan } from '../../../lambdas/replace-database/types';
import { SIM_ACCOUNT_ID, definitionOf, findDatabase, type SimulatedAccount } from '../../../lib/simulator/account';
import { rds } from '../../../lambdas/shared/aws/rds';
import { BLUE_GREEN_PROVISION_SECONDS, INITIAL_REPLICA_LAG_SECONDS, LAG_SETTLE_SECONDS, SWITCHOVER_SECONDS } from '../../../lib/simulator/services/rds';
import { noFaults, parseFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';

/**
 * canonical: its database as FleetFlow creates it in "fleetflow-secret" mode (the password in
 * the environment's secret), which blue/green deployments support. The same definition in
 * "rds-managed" mode (RDS keeps the password, which they do not support): the refusal tests.
 */
const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));
const rdsManaged = loadEnvironmentFile(fileURLToPath(new URL('../../fixtures/rds-managed-password.json', import.meta.url)));
/** canonical without `database.create`: its database is one a person created, with a password they keep. */
const personCreated = loadEnvironmentFile(fileURLToPath(new URL('../../fixtures/self-managed-password.json', import.meta.url)));

let account: SimulatedAccount;
let detach: (() => void) | undefined;

function useAccount(faults = noFaults(), environment = canonical): void {
  detach?.();
  account = seedAccount(environment, noFaults());
  account.useFaults(faults);
  detach = attachSimulator(allClients as never, account);
}

useSimulatedAwsEnvironment();
beforeEach(() => {
  useAccount();
});

afterEach(() => {
  detach?.();
  detach = undefined;
});

const plan = (execution: string, input: unknown = {}): Promise<ReplaceDatabasePlan> => planReplaceDatabase({ environment: canonical, input, execution });
const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

describe('the replace-database input', () => {
  it('takes nothing (every field defaults: SwitchoverTimeout 300 s as RDS, lag 5 s)', () => {
    expect(parseReplaceDatabaseInput({})).toEqual({ switchoverTimeoutSeconds: 300, maxLagSeconds: 5 });
  });

  it.each([
    [{ switchoverTimeoutSeconds: 29 }, 'switchoverTimeoutSeconds'],
    [{ switchoverTimeoutSeconds: 3601 }, 'switchoverTimeoutSeconds'],
    [{ instanceClass: 'm6g.large' }, 'instanceClass'],
    [{ allocatedStorage: 10 }, 'allocatedStorage'],
    [{ engineVersion: 'latest' }, 'engineVersion'],
    [{ maxLagSeconds: -1 }, 'maxLagSeconds'],
    [{ runId: 'a b' }, 'runId'],
    [{ deleteOld: true }, 'unknown field'],
  ])('refuses %j, naming %s, before anything changes', (input, named) => {
    expect(() => parseReplaceDatabaseInput(input)).toThrow(InvalidInputError);
    expect(() => parseReplaceDatabaseInput(input)).toThrow(new RegExp(`${named}[\\s\\S]*nothing was changed`));
  });
});

describe('Plan Replace Database: what Blue/Green does not support is refused, pointing to restore-data', () => {
  const withDefinition = (change: Partial<ReturnType<typeof definitionOf>>) => {
    const db = findDatabase(account, 'canonical-db')!;
    Object.assign(db, { definition: { ...definitionOf(db), ...change } });
  };

  it('plans the canonical database: its ARN, endpoint, the runner of the check, one deployment name per run', async () => {
    const planned = await plan('exec-1', { instanceClass: 'db.m6g.xlarge' });
    expect(planned.current).toMatchObject({ identifier: 'canonical-db', engine: 'postgres', endpoint: 'canonical-db.c0sim0example.us-east-1.rds.amazonaws.com:5432' });
    expect(planned.target).toEqual({ instanceClass: 'db.m6g.xlarge' });
    expect(planned.check.runner.name).toMatch(/^mid/);
    expect((await plan('exec-2')).deploymentName).not.toBe(planned.deploymentName);
    expect(planned.deploymentName).toMatch(/^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$/);
  });

  it.each([
    ['an engine Blue/Green does not support', { engine: 'oracle-ee' }, {}, /engine is oracle-ee/],
    ['a lower engine version', { engineVersion: '16.4' }, { engineVersion: '15.8' }, /engineVersion 15\.8 is lower than its 16\.4/],
    ['less storage', {}, { allocatedStorage: 50 }, /cannot shrink storage/],
  ])('refuses %s with BlueGreenUnsupportedError naming restore-data; no deployment is created', async (_what, definition, input, reason) => {
    withDefinition(definition);
    const refusal = plan('exec-1', input);
    await expect(refusal).rejects.toThrow(BlueGreenUnsupportedError);
    await expect(plan('exec-1', input)).rejects.toThrow(reason);
    await expect(plan('exec-1', input)).rejects.toThrow(/use restore-data instead[\s\S]*nothing was changed/);
    expect(account.compute.blueGreenDeployments.size).toBe(0);
  });

  it('refuses a database created in "rds-managed" mode (RDS reports MasterUserSecret), naming the setting and the way to move it to the secret; RDS itself refuses it too', async () => {
    useAccount(noFaults(), rdsManaged);
    const refusal = planReplaceDatabase({ environment: rdsManaged, input: {}, execution: 'exec-1' });
    await expect(refusal).rejects.toThrow(BlueGreenUnsupportedError);
    await expect(planReplaceDatabase({ environment: rdsManaged, input: {}, execution: 'exec-1' })).rejects.toThrow(
      /managed by RDS in AWS Secrets Manager[\s\S]*set tiers\.database\.database\.create\.masterPassword: "fleetflow-secret" and deploy the stack \(it creates the secret fleetflow\/canonical\/database-master\)[\s\S]*--no-manage-master-user-password --master-user-password <the value of fleetflow\/canonical\/database-master>[\s\S]*use restore-data instead/,
    );
    expect(account.compute.blueGreenDeployments.size).toBe(0);
    // Past the plan (a stale one, say), RDS refuses the deployment itself.
    const create = new CreateBlueGreenDeploymentCommand({ BlueGreenDeploymentName: 'by-hand', Source: `arn:aws:rds:us-east-1:${SIM_ACCOUNT_ID}:db:canonical-db` });
    await expect(rds.send(create)).rejects.toThrow(/manages its master user password with AWS Secrets Manager/);
    expect(account.compute.blueGreenDeployments.size).toBe(0);
  });

  it('refuses an instance that still has an RDS-managed password although the environment is in "fleetflow-secret" mode (created before the setting), without telling to set what is set', async () => {
    withDefinition({ managedMasterPassword: true });
    await expect(plan('exec-1')).rejects.toThrow(BlueGreenUnsupportedError);
    await expect(plan('exec-1')).rejects.toThrow(/masterPassword is already "fleetflow-secret": move this instance to the environment's secret fleetflow\/canonical\/database-master/);
    await expect(plan('exec-1')).rejects.not.toThrow(/and deploy the stack/);
    expect(account.compute.blueGreenDeployments.size).toBe(0);
  });

  it('plans a database a person created (no database.create) with a password they keep; one RDS manages the password of is refused, naming the turn-off with a password they keep', async () => {
    useAccount(noFaults(), personCreated);
    await expect(planReplaceDatabase({ environment: personCreated, input: {}, execution: 'exec-1' })).resolves.toMatchObject({ current: { identifier: 'canonical-db' } });
    withDefinition({ managedMasterPassword: true });
    const refusal = planReplaceDatabase({ environment: personCreated, input: {}, execution: 'exec-1' });
    await expect(refusal).rejects.toThrow(BlueGreenUnsupportedError);
    await expect(planReplaceDatabase({ environment: personCreated, input: {}, execution: 'exec-1' })).rejects.toThrow(
      /turn that off first: aws rds modify-db-instance --db-instance-identifier canonical-db --no-manage-master-user-password --master-user-password <a password you keep>/,
    );
    await expect(planReplaceDatabase({ environment: personCreated, input: {}, execution: 'exec-1' })).rejects.not.toThrow(/masterPassword/);
  });

  it('refuses a source whose automated backups are off (BackupRetentionPeriod 0), PostgreSQL, MySQL or MariaDB; RDS refuses it too', async () => {
    await expect(plan('exec-1')).resolves.toMatchObject({ current: { engine: 'postgres' } });
    useAccount(parseFaults(['no-snapshot'], new Set(), new Set()));
    for (const engine of ['postgres', 'mysql', 'mariadb']) {
      withDefinition({ engine });
      await expect(plan('exec-1')).rejects.toThrow(BlueGreenUnsupportedError);
      await expect(plan('exec-1')).rejects.toThrow(/automated backups are off \(BackupRetentionPeriod 0\)/);
      const create = new CreateBlueGreenDeploymentCommand({ BlueGreenDeploymentName: `by-hand-${engine}`, Source: `arn:aws:rds:us-east-1:${SIM_ACCOUNT_ID}:db:canonical-db` });
      await expect(rds.send(create)).rejects.toThrow(/Automated backups must be enabled/);
    }
    expect(account.compute.blueGreenDeployments.size).toBe(0);
  });

  it("refuses an engineVersion RDS does not list as a ValidUpgradeTarget of the current one (InvalidInputError); plans one it does; RDS refuses an unknown version too", async () => {
    withDefinition({ engineVersion: '16.4' });
    await expect(plan('exec-1', { engineVersion: '16.99' })).rejects.toThrow(InvalidInputError);
    await expect(plan('exec-1', { engineVersion: '16.99' })).rejects.toThrow(/engineVersion 16\.99 is not a version RDS can upgrade postgres 16\.4[\s\S]*ValidUpgradeTarget: 16\.6, 16\.8, 17\.2/);
    // A minor upgrade here; a major one (17.2) has its own checks (major-upgrade.test.ts).
    await expect(plan('exec-1', { engineVersion: '16.8' })).resolves.toMatchObject({ target: { engineVersion: '16.8' }, replication: 'physical', majorUpgrade: false });
    const create = (v: string) => new CreateBlueGreenDeploymentCommand({ BlueGreenDeploymentName: `by-hand-${v.replace(/\./g, '-')}`, Source: `arn:aws:rds:us-east-1:${SIM_ACCOUNT_ID}:db:canonical-db`, TargetEngineVersion: v });
    await expect(rds.send(create('16.99'))).rejects.toThrow(/Cannot find version 16\.99 for postgres/);
    await expect(rds.send(create('15.10'))).rejects.toThrow(/lower than the source's|Cannot upgrade/);
    expect(account.compute.blueGreenDeployments.size).toBe(0);
    // An instance that reports no version: the requested one must still be one RDS offers.
    withDefinition({ engineVersion: undefined });
    await expect(plan('exec-1', { engineVersion: '16.99' })).rejects.toThrow(/engineVersion 16\.99 is not a postgres version RDS offers/);
    await expect(plan('exec-1', { engineVersion: '16.6' })).resolves.toMatchObject({ target: { engineVersion: '16.6' } });
  });

  it('compares engine versions number by number (16.10 is above 16.4)', () => {
    expect(compareVersions('16.10', '16.4')).toBe(1);
    expect(compareVersions('16.4', '16.4')).toBe(0);
    expect(compareVersions('15.8', '16.4')).toBe(-1);
  });

  it("refuses while another blue/green deployment of the database is in progress (a failed run's, kept for inspection)", async () => {
    await createGreen({ execution: 'exec-1', plan: await plan('exec-1') });
    await expect(plan('exec-2')).rejects.toThrow(InventoryError);
    await expect(plan('exec-2')).rejects.toThrow(/already the source of blue\/green deployment bgd-/);
  });
});

describe('Create Green: safe to retry, never adopting another execution\'s deployment', () => {
  it('called twice by the same execution: one deployment, found by its name and created-by tag', async () => {
    const planned = await plan('exec-1');
    const first = await createGreen({ execution: 'exec-1', plan: planned });
    const retried = await createGreen({ execution: 'exec-1', plan: planned });
    expect(retried.deploymentId).toBe(first.deploymentId);
    expect(account.compute.blueGreenDeployments.size).toBe(1);
    expect(account.calls.get('rds:CreateBlueGreenDeployment')).toBe(1);
  });

  it("refuses a deployment of the plan's name that another execution created", async () => {
    const planned = await plan('exec-1', { runId: 'same' });
    await createGreen({ execution: 'exec-1', plan: planned });
    await expect(createGreen({ execution: 'exec-2', plan: planned })).rejects.toThrow(/is not this execution's/);
    expect(account.compute.blueGreenDeployments.size).toBe(1);
  });
});

describe('the simulated blue/green deployment, through the tasks', () => {
  async function greenAvailable(execution: string) {
    const planned = await plan(execution);
    const started = await createGreen({ execution, plan: planned });
    advance(BLUE_GREEN_PROVISION_SECONDS);
    const green = await checkGreen({ execution, plan: planned, phase: started });
    return { planned, green };
  }

  it('PROVISIONING, then AVAILABLE with a green named <source>-green-<id>; its lag comes down under the threshold', async () => {
    const { planned, green } = await greenAvailable('exec-1');
    expect(green).toMatchObject({ done: true, greenIdentifier: expect.stringMatching(/^canonical-db-green-[0-9a-f]{6}$/) });
    const early = await checkReplicaLag({ execution: 'exec-1', plan: planned, greenIdentifier: green.greenIdentifier! });
    expect(early.done).toBe(false);
    advance(LAG_SETTLE_SECONDS + 60);
    const settled = await checkReplicaLag({ execution: 'exec-1', plan: planned, greenIdentifier: green.greenIdentifier!, phase: early });
    expect(settled).toMatchObject({ done: true, lagSeconds: 1 });
    expect(INITIAL_REPLICA_LAG_SECONDS).toBeGreaterThan(planned.maxLagSeconds);
  });

  it('switches over: the blue renamed canonical-db-old1, the green under canonical-db with its endpoint, every write kept', async () => {
    const { planned, green } = await greenAvailable('exec-1');
    const blue = findDatabase(account, 'canonical-db')!;
    const greenDb = findDatabase(account, green.greenIdentifier!)!;
    const phase = await startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId });
    const written = account.writesOf(blue);
    advance(SWITCHOVER_SECONDS);
    expect(await checkSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId, phase })).toMatchObject({ done: true });
    expect(findDatabase(account, 'canonical-db')).toBe(greenDb);
    expect(findDatabase(account, 'canonical-db-old1')).toBe(blue);
    expect(account.writesOf(greenDb)).toBeGreaterThanOrEqual(written);
    expect(account.writesOf(blue)).toBe(written);
  });

  it('a run stopped after the switchover, before Record Replacement: the next plan refuses naming the untagged old instance (no second replacement); once it is recorded, plans again', async () => {
    const { planned, green } = await greenAvailable('exec-1');
    const phase = await startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId });
    advance(SWITCHOVER_SECONDS);
    await checkSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId, phase });
    // exec-1 stops here (restart): canonical-db-old1 exists, not tagged kept.
    await expect(plan('exec-2')).rejects.toThrow(InventoryError);
    await expect(plan('exec-2')).rejects.toThrow(/switched over, but its old instance canonical-db-old1 is not tagged fleetflow:kept[\s\S]*add-tags-to-resource[\s\S]*nothing was changed/);
    expect(account.compute.blueGreenDeployments.size).toBe(1);
    await recordReplacement({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId });
    expect(findDatabase(account, 'canonical-db-old1')!.tags?.['fleetflow:kept']).toBe('true');
    await expect(plan('exec-2')).resolves.toMatchObject({ current: { identifier: 'canonical-db' } });
  });

  it('past its SwitchoverTimeout (switchover-timeout): SWITCHOVER_FAILED, SwitchoverFailedError, nothing renamed, the blue takes writes again', async () => {
    useAccount(parseFaults(['switchover-timeout'], new Set(), new Set()));
    const { planned, green } = await greenAvailable('exec-1');
    const blue = findDatabase(account, 'canonical-db')!;
    const phase = await startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId });
    advance(planned.switchoverTimeoutSeconds);
    await expect(checkSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId, phase })).rejects.toThrow(SwitchoverFailedError);
    expect(findDatabase(account, 'canonical-db')).toBe(blue);
    const after = account.writesOf(blue);
    advance(60);
    expect(account.writesOf(blue)).toBeGreaterThan(after);
  });

  describe('Check Switchover names the true cause of each status (a rollback only for SWITCHOVER_FAILED)', () => {
    /** The switchover asked for, then RDS reporting `status` on the next look. */
    async function lookAt(status: string, afterSeconds: number) {
      const { planned, green } = await greenAvailable('exec-1');
      const phase = await startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId });
      advance(afterSeconds);
      vi.spyOn(rds, 'send').mockResolvedValueOnce({ BlueGreenDeployments: [{ BlueGreenDeploymentIdentifier: green.deploymentId, Status: status }] } as never);
      return checkSwitchover({ execution: 'exec-1', plan: planned, deploymentId: green.deploymentId, phase });
    }
    afterEach(() => vi.restoreAllMocks());

    it('AVAILABLE shortly after the request: looks again', async () => {
      expect(await lookAt('AVAILABLE', 5)).toMatchObject({ done: false });
    });

    it.each([
      ['AVAILABLE', AVAILABLE_GRACE_SECONDS + 5, /still AVAILABLE \d+s after the switchover was asked for: RDS has not switched it over; canonical-db still serves/],
      ['INVALID_CONFIGURATION', 5, /INVALID_CONFIGURATION: the green environment's resources are invalid, so it cannot switch over; canonical-db still serves/],
      ['SWITCHOVER_FAILED', 5, /failed: RDS rolled it back/],
      ['DELETING', 5, /being deleted during its switchover[\s\S]*is not known here/],
    ])('%s (%ss after): SwitchoverFailedError naming it', async (status, after, cause) => {
      const look = lookAt(status, after);
      await expect(look).rejects.toThrow(SwitchoverFailedError);
      await expect(look).rejects.toThrow(cause);
      if (status !== 'SWITCHOVER_FAILED') await expect(look).rejects.not.toThrow(/rolled it back/);
    });
  });

  it('refuses a switchover before the green is AVAILABLE (InvalidBlueGreenDeploymentState), naming it', async () => {
    const planned = await plan('exec-1');
    const started = await createGreen({ execution: 'exec-1', plan: planned });
    await expect(startSwitchover({ execution: 'exec-1', plan: planned, deploymentId: started.deploymentId })).rejects.toThrow(/InvalidBlueGreenDeploymentStateFault/);
  });
});
