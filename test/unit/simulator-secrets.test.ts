/**
 * The simulated account's Secrets Manager and the master password it holds for an environment
 * in "fleetflow-secret" mode: seeded as the stack creates it, read by GetSecretValue with AWS's
 * refusals, its value watched like every secret; the seeded database as the mode says; and a restore, which sets no
 * password (ManageMasterUserPassword applies to RDS for Oracle only).
 */
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../../lib/simulator/account';
import { noFaults } from '../../lib/simulator/faults';
import { seedAccount } from '../../lib/simulator/fleet';
import { call, refusal } from './simulated-calls';
import { NOW } from './fixtures';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));
const rdsManaged = loadEnvironmentFile(fileURLToPath(new URL('../fixtures/rds-managed-password.json', import.meta.url)));
const SECRET = 'fleetflow/canonical/database-master';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  return () => vi.useRealTimers();
});

describe('the master password secret ("fleetflow-secret")', () => {
  it('is seeded as the stack creates it, its value a watched secret; GetSecretValue answers by name, ARN or partial ARN', () => {
    const account = seedAccount(canonical, noFaults());
    const secret = account.secrets.get(SECRET)!;

    expect(account.secretValues.has(secret.value)).toBe(true);
    expect(secret.arn).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:fleetflow\/canonical\/database-master-[0-9a-f]{6}$/);
    for (const id of [SECRET, secret.arn, secret.arn.slice(0, -7)]) {
      expect(call(account, 'secretsmanager', 'GetSecretValue', { SecretId: id })).toMatchObject({ Name: SECRET, ARN: secret.arn, SecretString: secret.value, VersionStages: ['AWSCURRENT'] });
    }
  });

  it('refuses an unknown secret (ResourceNotFoundException) and a version stage that does not exist', () => {
    const account = seedAccount(canonical, noFaults());

    expect(refusal(() => call(account, 'secretsmanager', 'GetSecretValue', { SecretId: 'fleetflow/surge/database-master' }))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    expect(refusal(() => call(account, 'secretsmanager', 'GetSecretValue', { SecretId: SECRET, VersionStage: 'AWSPREVIOUS' })).name).toBe('ResourceNotFoundException');
    expect(refusal(() => call(account, 'secretsmanager', 'GetSecretValue', { SecretId: '' })).name).toBe('ValidationException');
  });

  it('seeds the database as the mode says: no RDS-managed secret in "fleetflow-secret" mode, MasterUserSecret and no FleetFlow secret in "rds-managed"', () => {
    const ours = seedAccount(canonical, noFaults());
    const managed = seedAccount(rdsManaged, noFaults());
    const described = (account: SimulatedAccount) => call(account, 'rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'canonical-db' }).DBInstances[0];

    expect(described(ours).MasterUserSecret).toBeUndefined();
    expect(described(managed).MasterUserSecret?.SecretArn).toMatch(/:secret:rds!db-/);
    expect(managed.secrets.size).toBe(0);
  });
});

describe('a restore and the master password', () => {
  it("keeps the snapshot's password with no managed secret, and refuses ManageMasterUserPassword for PostgreSQL (it applies to RDS for Oracle only)", () => {
    const account = seedAccount(canonical, noFaults());
    const snapshot = 'canonical-db-manual-before-release';

    expect(refusal(() => call(account, 'rds', 'RestoreDBInstanceFromDBSnapshot', { DBInstanceIdentifier: 'managed', DBSnapshotIdentifier: snapshot, ManageMasterUserPassword: true }))).toMatchObject({
      name: 'InvalidParameterCombination',
      message: 'ManageMasterUserPassword applies to RDS for Oracle only; the snapshot\'s engine is postgres.',
    });
    expect(account.databases.has('managed')).toBe(false);
    const restored = call(account, 'rds', 'RestoreDBInstanceFromDBSnapshot', { DBInstanceIdentifier: 'restored', DBSnapshotIdentifier: snapshot }).DBInstance;
    expect(restored.MasterUserSecret).toBeUndefined();
  });
});
