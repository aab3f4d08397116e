/**
 * What replace-database did to the simulated account, read from the account itself rather
 * than from what the workflow says: the old (blue) instance and whether it is unchanged and
 * kept, the instance that now answers at the environment's endpoint, whether any host was
 * repointed, the application's writes before the switchover and on the new instance, and the
 * downtime (the writes were blocked) against the modelled switchover.
 */
import { CHECK_SECONDS, SSM_DELIVERY_SECONDS, type SimulatedAccount, databaseAtEndpoint, definitionOf, findDatabase } from './account';
import type { DatabasesBefore, OldDatabaseReport } from './data-report';
import { BLUE_GREEN_PROVISION_SECONDS, INITIAL_REPLICA_LAG_SECONDS, LAG_FLOOR_SECONDS, LAG_SETTLE_SECONDS, blueGreenStatus, SWITCHOVER_SECONDS } from './services/rds';
import { KEPT_TAG } from '../../lambdas/domain/contract/tags';

export interface ReplacedOldDatabase extends OldDatabaseReport {
  /** Its identifier before the run (RDS renames it `<identifier>-old<n>` at switchover). */
  readonly formerIdentifier: string;
  /** Still exists and tagged kept (fleetflow:kept): never deleted. */
  readonly kept: boolean;
}

export interface ReplaceDatabaseReport {
  /** The instance answering at the environment's endpoint at the end. */
  readonly newDatabase: { readonly identifier: string; readonly endpoint: string; readonly instanceClass: string; readonly engineVersion: string | null; readonly allocatedStorage: number } | null;
  /** Whether the instance answering at the endpoint is the old one (no switchover happened). */
  readonly blueServes: boolean;
  /** The blue/green deployment's status at the end, or null when none was created. */
  readonly deploymentStatus: string | null;
  /** Hosts sent a reconfigure document during the run: none, as the endpoint does not change. */
  readonly hostsRepointed: readonly string[];
  /** The connection parameter holds what it held, and the instance answering there has the old endpoint. */
  readonly endpointUnchanged: boolean;
  /** The application's writes: held by the blue when the switchover began, and by the instance serving at the end; lost = the difference when short. */
  readonly writes: { readonly beforeSwitchover: number | null; readonly onServingInstance: number; readonly lost: number };
  /** Seconds the writes were blocked (switchover asked for until it completed or was rolled back), and the modelled switchover. */
  readonly downtimeSeconds: number;
  readonly modelledSwitchoverSeconds: number;
}

/**
 * The unavoidable time of a replacement, from the simulator's modelled durations: the green's
 * provisioning; then the check document on the green (delivery and its run) while the lag comes
 * down, whichever ends later (the lag falls from INITIAL_REPLICA_LAG_SECONDS to LAG_FLOOR_SECONDS
 * over LAG_SETTLE_SECONDS from the green's availability, linearly, rounded as CloudWatch's
 * datapoints are); then the switchover. Undefined when the lag could never come under the
 * threshold (the bound would be infinite), and for a threshold not known.
 */
export function replaceDatabaseLowerBoundSeconds(maxLagSeconds: number | undefined): number | undefined {
  if (maxLagSeconds === undefined || maxLagSeconds < LAG_FLOOR_SECONDS) return undefined;
  // round(INITIAL * (1 - x)) <= maxLag  <=>  x >= 1 - (maxLag + 0.5) / INITIAL.
  const settled = Math.max(0, 1 - (maxLagSeconds + 0.5) / INITIAL_REPLICA_LAG_SECONDS);
  const lagSeconds = Math.ceil(settled * LAG_SETTLE_SECONDS);
  return BLUE_GREEN_PROVISION_SECONDS + Math.max(SSM_DELIVERY_SECONDS + CHECK_SECONDS, lagSeconds) + SWITCHOVER_SECONDS;
}

export function replaceDatabaseFields(
  account: SimulatedAccount,
  before: DatabasesBefore,
  end: number,
  reconfigureDocument: string | undefined,
  maxLagSeconds?: number,
): { oldDatabase: ReplacedOldDatabase | null; replaceDatabase: ReplaceDatabaseReport; lowerBoundSeconds?: number } {
  const formerIdentifier = account.dataTier?.identifier ?? '';
  const was = before.databases.find((d) => d.identifier === formerIdentifier);
  // This run's deployment: one created during it (simulate --fleet may seed others, opened before the start).
  const deployment = [...account.compute.blueGreenDeployments.values()].filter((d) => d.createdAt >= account.startedAt).at(-1);
  const blue = deployment?.blue ?? findDatabase(account, formerIdentifier);
  const serving = before.connection !== null ? databaseAtEndpoint(account, before.connection) : findDatabase(account, formerIdentifier);
  const connectionNow = before.connectionParameter !== null ? (account.parameters.get(before.connectionParameter)?.value ?? null) : null;
  const exists = blue !== undefined && account.databases.get(blue.identifier) === blue;
  const oldDatabase: ReplacedOldDatabase | null =
    blue && was
      ? {
          identifier: blue.identifier,
          formerIdentifier,
          unchanged: exists && JSON.stringify(blue.definition ?? null) === was.definition && blue.schemaRelease === was.schemaRelease,
          status: exists ? account.databaseStatus(blue, end) : null,
          tags: { ...(blue.tags ?? {}) },
          kept: exists && (deployment?.renamed === undefined || blue.tags?.[KEPT_TAG] === 'true'),
        }
      : null;
  const switchover = deployment?.switchover;
  const beforeSwitchover = switchover && blue ? account.writesOf(blue, switchover.at) : null;
  const onServing = serving ? account.writesOf(serving, end) : 0;
  const lowerBoundSeconds = deployment ? replaceDatabaseLowerBoundSeconds(maxLagSeconds) : undefined;
  const sent = [...account.commands.values()].filter((c) => reconfigureDocument !== undefined && c.document === reconfigureDocument);
  const hostsRepointed = [...new Set(sent.flatMap((c) => [...c.invocations.keys()]))].map((id) => account.hosts.get(id)?.name ?? id);
  return {
    oldDatabase,
    // Over the report's 0 only with a bound to give: a run that created no green has none.
    ...(lowerBoundSeconds !== undefined ? { lowerBoundSeconds } : {}),
    replaceDatabase: {
      newDatabase: serving
        ? {
            identifier: serving.identifier,
            endpoint: before.connection ?? '',
            instanceClass: serving.definition?.instanceClass ?? '',
            // As DescribeDBInstances reports it (services/rds.ts describeDatabase), which RDS always does for an instance.
            engineVersion: definitionOf(serving).engineVersion ?? null,
            allocatedStorage: serving.definition?.allocatedStorage ?? 0,
          }
        : null,
      blueServes: serving !== undefined && serving === blue,
      deploymentStatus: deployment ? blueGreenStatus(deployment, end) : null,
      hostsRepointed,
      endpointUnchanged: connectionNow === before.connection && serving !== undefined,
      writes: { beforeSwitchover, onServingInstance: onServing, lost: beforeSwitchover === null ? 0 : Math.max(0, beforeSwitchover - onServing) },
      downtimeSeconds: switchover ? (Math.min(end, switchover.endsAt) - switchover.at) / 1000 : 0,
      modelledSwitchoverSeconds: SWITCHOVER_SECONDS,
    },
  };
}
