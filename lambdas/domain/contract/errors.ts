/**
 * Errors the state machine reacts to. Each has a stable `name`, because a Retry or
 * Catch `ErrorEquals` and the execution's failure both match on it, and a message
 * that names the hosts involved.
 *
 * The message is bounded. Lambda returns a failure as `{"errorType", "errorMessage",
 * "trace": [stack lines]}` (the stack's first line repeats the message), Step Functions
 * passes that as the cause, and a Catch puts the cause into the state, which fails with
 * States.DataLimitExceeded, uncatchable, past 256 KiB. So a message naming a whole
 * 2,000-host batch would turn a batch failure into an execution that cannot roll back.
 * Messages name a few hosts (`describeHosts`); this cap is the backstop for any other.
 */
export const MAX_MESSAGE_BYTES = 1024;

abstract class FleetFlowError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: ErrorOptions) {
    super(boundedMessage(message), options);
  }
}

/** The message itself when it fits in MAX_MESSAGE_BYTES (UTF-8); otherwise its start and how much was cut. */
export function boundedMessage(message: string, maxBytes = MAX_MESSAGE_BYTES): string {
  const bytes = Buffer.byteLength(message, 'utf8');
  if (bytes <= maxBytes) return message;
  const suffix = ` … (message cut at ${maxBytes} of ${bytes} bytes)`;
  let kept = message.slice(0, maxBytes);
  while (kept.length > 0 && Buffer.byteLength(kept + suffix, 'utf8') > maxBytes) {
    const over = Buffer.byteLength(kept + suffix, 'utf8') - maxBytes;
    // Each character is 1-4 bytes: dropping `over / 4` characters (at least one) never drops too many.
    kept = kept.slice(0, kept.length - Math.max(1, Math.floor(over / 4)));
  }
  // Never end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return kept + suffix;
}

/** The execution input or the environment definition cannot be honoured. */
export class InvalidInputError extends FleetFlowError {
  override readonly name = 'InvalidInputError';
}

/** A tier selected no running hosts, or a host has no recorded release to roll back to. */
export class InventoryError extends FleetFlowError {
  override readonly name = 'InventoryError';
}

/** Taking the batch out would leave fewer hosts in service than the tier's minimum. */
export class InsufficientCapacityError extends FleetFlowError {
  override readonly name = 'InsufficientCapacityError';
}

/** Hosts were still draining connections when the tier's drain timeout ran out. */
export class DrainTimeoutError extends FleetFlowError {
  override readonly name = 'DrainTimeoutError';
}

/** The drain or undrain command of a clustered tier failed on a host. */
export class DrainFailedError extends FleetFlowError {
  override readonly name = 'DrainFailedError';
}

/** The release's install command did not succeed on every host of the batch. */
export class PatchFailedError extends FleetFlowError {
  override readonly name = 'PatchFailedError';
}

/** Hosts did not pass health checks within the tier's health timeout. */
export class HostUnhealthyError extends FleetFlowError {
  override readonly name = 'HostUnhealthyError';
}

/** A CloudWatch alarm guarding the tier is in ALARM. */
export class AlarmFiredError extends FleetFlowError {
  override readonly name = 'AlarmFiredError';
}

/** Restoring the previous release on a failed batch did not succeed. */
export class RollbackFailedError extends FleetFlowError {
  override readonly name = 'RollbackFailedError';
}

/** Errors that are failures of the batch and trigger its rollback. */
export const BATCH_FAILURE_ERRORS = [
  'DrainTimeoutError',
  'DrainFailedError',
  'PatchFailedError',
  'HostUnhealthyError',
  'AlarmFiredError',
] as const;

/** The database is not `available`: FleetFlow does not change a database in another state. */
export class DatabaseUnavailableError extends FleetFlowError {
  override readonly name = 'DatabaseUnavailableError';
}

/** The pre-migration snapshot failed or did not become available in time. */
export class SnapshotFailedError extends FleetFlowError {
  override readonly name = 'SnapshotFailedError';
}

/** The release's schema and data migration failed; the message names the snapshot to restore. */
export class MigrationFailedError extends FleetFlowError {
  override readonly name = 'MigrationFailedError';
}

/** Monitoring is broken or already alarming, so a release could not be validated. */
export class PreflightFailedError extends FleetFlowError {
  override readonly name = 'PreflightFailedError';
}

/** An alarm went into ALARM during the bake period. */
export class ValidationFailedError extends FleetFlowError {
  override readonly name = 'ValidationFailedError';
}

/** The error `fleetflow reject` answers a task token with; the workflow treats it as a failed validation. */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejectedError';

/** The plan cannot run inside Step Functions' quotas (history, execution time); nothing was changed. */
export class PlanExceedsQuotaError extends FleetFlowError {
  override readonly name = 'PlanExceedsQuotaError';
}

/**
 * EC2 could not launch a tier's hosts (no capacity in any of its subnets and instance types,
 * a launch template or subnet it refused), or a new host failed to boot (status checks
 * impaired, or it stopped or terminated on its own).
 */
export class LaunchFailedError extends FleetFlowError {
  override readonly name = 'LaunchFailedError';
}

/** A new host never came online in Systems Manager, so no command can reach it. */
export class InstanceNotManagedError extends FleetFlowError {
  override readonly name = 'InstanceNotManagedError';
}

/** A prerequisite document failed (or did not finish in time) on a new host. */
export class PrerequisiteFailedError extends FleetFlowError {
  override readonly name = 'PrerequisiteFailedError';
}

/**
 * What a tier depends on is not as its definition says: a target group missing, in another
 * VPC or on another port, or the health check path not answering on a new host.
 */
export class DependencyCheckFailedError extends FleetFlowError {
  override readonly name = 'DependencyCheckFailedError';
}

/** The environment's database could not be created, or did not become available in time. */
export class DatabaseCreateFailedError extends FleetFlowError {
  override readonly name = 'DatabaseCreateFailedError';
}

/** A replaced host could not be stopped or terminated once out of traffic. */
export class RetireFailedError extends FleetFlowError {
  override readonly name = 'RetireFailedError';
}

/** The source of a restore does not exist: no snapshot of the environment's database, or none by that name. */
export class NoSnapshotError extends FleetFlowError {
  override readonly name = 'NoSnapshotError';
}

/** RDS refused the restore, or the restored instance failed or did not become available in time. */
export class DatabaseRestoreFailedError extends FleetFlowError {
  override readonly name = 'DatabaseRestoreFailedError';
}

/** The environment's check document failed against the restored database: no host was repointed. */
export class RestoredDataInvalidError extends FleetFlowError {
  override readonly name = 'RestoredDataInvalidError';
}

/** The reconfigure document failed (or did not finish in time) on a host being repointed. */
export class ReconfigureFailedError extends FleetFlowError {
  override readonly name = 'ReconfigureFailedError';
}

/** Pointing the hosts back to the previous database failed: some hosts may use either database. */
export class RepointFailedError extends FleetFlowError {
  override readonly name = 'RepointFailedError';
}

/**
 * The environment's database cannot be replaced by an RDS blue/green deployment (its engine or
 * configuration is one AWS documents as unsupported, or the input asks for what a green cannot
 * be): refused by the plan, nothing changed; restore-data moves the data into a new instance instead.
 */
export class BlueGreenUnsupportedError extends FleetFlowError {
  override readonly name = 'BlueGreenUnsupportedError';
}

/** The green environment failed: RDS could not create it, or it failed the environment's check document. The blue still serves. */
export class GreenDatabaseFailedError extends FleetFlowError {
  override readonly name = 'GreenDatabaseFailedError';
}

/** The green instance's replica lag did not come down to the input's threshold in time: no switchover was asked for. */
export class ReplicaLagTooHighError extends FleetFlowError {
  override readonly name = 'ReplicaLagTooHighError';
}

/** The switchover failed or timed out; RDS rolled it back ("no changes are made to either environment"): the blue still serves. */
export class SwitchoverFailedError extends FleetFlowError {
  override readonly name = 'SwitchoverFailedError';
}

/**
 * Every step of the execution succeeded, but its lock could not be released (DynamoDB
 * refused the DeleteItem past its retries): the execution fails rather than end SUCCEEDED
 * holding the lock. Named by the workflows' Unlock (statemachines/fragments/lock.ts), not
 * thrown by a handler.
 */
export class LockNotReleasedError extends FleetFlowError {
  override readonly name = 'LockNotReleasedError';
}

/** An error of FleetFlow's own (a named refusal or failure), as opposed to a defect or an AWS error. */
export function isFleetFlowRefusal(err: unknown): err is Error {
  return err instanceof FleetFlowError;
}
