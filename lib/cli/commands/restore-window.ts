/**
 * `simulate restore-data --source TIME`: the point in time checked against the simulated
 * instance's restorable window before anything runs, refused with the message Plan Restore
 * Data gives (lambdas/restore-data/restore-source.ts `resolveSource`), so a time outside
 * the window exits 2 like every other input refusal instead of starting an execution that
 * fails. test/unit/cli-restore-window.test.ts checks the two messages stay the same.
 */
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { databaseParameterName } from '../../../lambdas/domain/contract/records';
import type { DatabaseTierDefinition, EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import { isHostTier } from '../../../lambdas/domain/environment/model';
import type { AccountFaults } from '../../simulator/account';
import type { FleetFile } from '../../capture/fleet-file';
import { noFaults } from '../../simulator/faults';
import { seedAccount } from '../../simulator/fleet';
import { activeBackup } from '../../simulator/services/rds';
import { simulationEpoch } from '../../simulator/simulate';
import { runOnVirtualClock } from '../../simulator/virtual-clock';

export interface RestoreWindow {
  /** The instance the data comes from (the recorded current database). */
  readonly instance: string;
  /** Epoch ms; undefined when the instance has no automated backup. */
  readonly earliest?: number;
  readonly latest?: number;
}

/**
 * The restorable window of the environment's current database in the account the
 * simulation starts from (at SIMULATION_EPOCH, or a captured fleet's capture instant, with the run's faults: `no-snapshot` leaves
 * none). The execution's plan runs a few virtual seconds later, when LatestRestorableTime
 * has moved on by as much: a time this accepts, the workflow accepts too.
 */
export async function simulatedRestoreWindow(environment: EnvironmentDefinition, faults: AccountFaults = noFaults(), hostsPerTier?: number, fleet?: FleetFile): Promise<RestoreWindow | undefined> {
  const data = environment.tiers.find((t): t is DatabaseTierDefinition => !isHostTier(t));
  if (!data) return undefined;
  return runOnVirtualClock(simulationEpoch({ ...(fleet ? { fleet } : {}) }), async () => {
    const account = seedAccount(environment, noFaults(), { ...(hostsPerTier === undefined ? {} : { hostsPerTier }), ...(fleet ? { fleet } : {}) });
    account.useFaults(faults);
    const recorded = account.parameters.get(databaseParameterName(environment.name))?.value;
    const instance = recorded ?? data.database.instanceIdentifier;
    const db = account.databases.get(instance.toLowerCase());
    const backup = db && activeBackup(account, db);
    return backup ? { instance, earliest: backup.earliest, latest: backup.latest } : { instance };
  });
}

/**
 * Refuses a point in time outside the window, with Plan Restore Data's own words
 * (resolveSource): "outside the restorable window of …", or "has no restorable window".
 */
export function checkPointInTime(pointInTime: string, window: RestoreWindow): void {
  const { instance, earliest, latest } = window;
  if (earliest === undefined || latest === undefined) {
    throw new InvalidInputError(`source: ${instance} has no restorable window (no automated backups); restore a snapshot instead; nothing was changed`);
  }
  const wanted = new Date(pointInTime).getTime();
  if (wanted < earliest || wanted > latest) {
    throw new InvalidInputError(
      `source: ${pointInTime} is outside the restorable window of ${instance}, ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()}; nothing was changed`,
    );
  }
}
