/**
 * Create Database in both master password modes (`database.create.masterPassword`), against the
 * simulated account (RDS and Secrets Manager, as AWS answers):
 * - "fleetflow-secret": the environment's secret read and passed as MasterUserPassword, never in
 *   the returned state or an error; the instance has no RDS-managed secret, so blue/green supports it;
 * - "rds-managed": ManageMasterUserPassword, no password read, the instance reports MasterUserSecret;
 * - a missing secret or a plan without its name refused before anything is created;
 * - a restore from a snapshot sets no password (the snapshot's is kept).
 */
import { fileURLToPath } from 'node:url';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDatabase, type DatabaseCreateInput } from '../../../lambdas/compute/database-creation';
import { DatabaseCreateFailedError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import type { EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import { allClients } from '../../../lambdas/shared/clients';
import { rds } from '../../../lambdas/shared/aws/rds';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { noFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { NOW } from '../fixtures';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));
const rdsManaged = loadEnvironmentFile(fileURLToPath(new URL('../../fixtures/rds-managed-password.json', import.meta.url)));
const SECRET = 'fleetflow/canonical/database-master';

let account: SimulatedAccount;
let detach: (() => void) | undefined;
/** Every request Create Database sent to RDS, by command name. */
let sent: Array<{ command: string; input: Record<string, unknown> }>;

/** The environment's account with its database gone (what allocate finds before it creates one). */
function useAccount(environment: EnvironmentDefinition, options: { keepSnapshots?: boolean } = {}): void {
  detach?.();
  account = seedAccount(environment, noFaults(), { empty: true, ...options });
  detach = attachSimulator(allClients as never, account);
}

useSimulatedAwsEnvironment();
beforeEach(() => {
  sent = [];
  const send = rds.send.bind(rds);
  vi.spyOn(rds, 'send').mockImplementation(((command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ command: command.constructor.name, input: structuredClone(command.input) });
    return send(command as never);
  }) as never);
});

afterEach(() => {
  detach?.();
  detach = undefined;
  vi.restoreAllMocks();
});

/** The plan allocate makes for the environment's missing database (lambdas/compute/allocation.ts). */
function planFor(environment: EnvironmentDefinition, extra: Partial<DatabaseCreateInput['database']> = {}): DatabaseCreateInput {
  const data = environment.tiers.find((t) => t.role === 'data')!;
  if (data.role !== 'data') throw new Error('no data tier');
  const create = data.database.create!;
  return {
    execution: 'allocate-1',
    database: { instanceIdentifier: data.database.instanceIdentifier, create, timeoutSeconds: create.timeoutSeconds, polling: environment.polling, ...extra },
  };
}

const created = async (identifier = 'canonical-db') => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances![0]!;

describe('Create Database, "fleetflow-secret" (canonical)', () => {
  it("creates the instance with the environment's secret as MasterUserPassword, which is never in the returned state; RDS manages no secret of it", async () => {
    useAccount(canonical);
    const password = account.secrets.get(SECRET)!.value;

    const state = await createDatabase(planFor(canonical, { masterSecret: SECRET }));

    const create = sent.find((s) => s.command === 'CreateDBInstanceCommand')!;
    expect(create.input.MasterUserPassword).toBe(password);
    expect(create.input).not.toHaveProperty('ManageMasterUserPassword');
    expect(JSON.stringify(state)).not.toContain(password);
    const instance = await created();
    expect(instance.MasterUserSecret).toBeUndefined();
    expect(instance.MasterUsername).toBe('fleetflow');
  });

  it('refuses, naming the secret, a missing secret or a plan without its name, before anything is created', async () => {
    useAccount(canonical);
    const password = account.secrets.get(SECRET)!.value;
    account.secrets.delete(SECRET);

    const missing = createDatabase(planFor(canonical, { masterSecret: SECRET }));
    await expect(missing).rejects.toThrow(DatabaseCreateFailedError);
    await expect(createDatabase(planFor(canonical, { masterSecret: SECRET }))).rejects.toThrow(/master password secret fleetflow\/canonical\/database-master could not be read \(ResourceNotFoundException\)[\s\S]*nothing was created/);
    await expect(createDatabase(planFor(canonical))).rejects.toThrow(/"fleetflow-secret" but the plan names no secret/);
    expect(sent.filter((s) => s.command !== 'DescribeDBInstancesCommand')).toEqual([]);
    expect(account.databases.size).toBe(0);
    // The message names the secret, never a value (here the value is gone; the format is what is checked).
    await createDatabase(planFor(canonical, { masterSecret: SECRET })).catch((err: Error) => expect(err.message).not.toContain(password));
  });

  it("restores from a snapshot without a password setting (the snapshot's, the secret's, is kept) and without reading the secret", async () => {
    useAccount(canonical, { keepSnapshots: true });
    const snapshot = [...account.snapshots.values()].find((s) => s.type !== 'automated' && s.availableAt <= NOW)!;
    const reads = account.calls.get('secretsmanager:GetSecretValue') ?? 0;

    await createDatabase(planFor(canonical, { masterSecret: SECRET, fromSnapshot: { identifier: snapshot.id, createdAt: new Date(NOW).toISOString() } }));

    const restore = sent.find((s) => s.command === 'RestoreDBInstanceFromDBSnapshotCommand')!;
    expect(restore.input).not.toHaveProperty('MasterUserPassword');
    expect(restore.input).not.toHaveProperty('ManageMasterUserPassword');
    expect(account.calls.get('secretsmanager:GetSecretValue') ?? 0).toBe(reads);
  });
});

describe('Create Database, "rds-managed"', () => {
  it('creates the instance with ManageMasterUserPassword and reads no secret; RDS then reports MasterUserSecret', async () => {
    useAccount(rdsManaged);
    expect(account.secrets.size).toBe(0);

    await createDatabase(planFor(rdsManaged));

    const create = sent.find((s) => s.command === 'CreateDBInstanceCommand')!;
    expect(create.input.ManageMasterUserPassword).toBe(true);
    expect(create.input).not.toHaveProperty('MasterUserPassword');
    expect(account.calls.get('secretsmanager:GetSecretValue') ?? 0).toBe(0);
    expect((await created()).MasterUserSecret?.SecretArn).toMatch(/:secret:rds!db-/);
  });
});
