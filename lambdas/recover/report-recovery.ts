/**
 * Report Recovery: the recovery point (the time of the data restored) and the recovery time
 * (from the start of the recovery until the release was validated), for people and for
 * whoever measures RPO and RTO.
 */
import type { RestoreOutcome } from '../domain/contract/payloads';

export interface RecoveryReport {
  readonly environment: string;
  readonly release: string;
  readonly recoveryPointTime: string;
  readonly recoveryTimeSeconds: number;
  /** Absent when the part that restored could not report it (its lock not released): its execution's history has it. */
  readonly newDatabase?: RestoreOutcome['newDatabase'];
  readonly oldDatabase?: RestoreOutcome['oldDatabase'];
}

export interface ReportRecoveryInput {
  readonly environment: string;
  readonly startedAt: number;
  readonly release: string;
  /** The recovery point Plan Recover resolved: what the report says when the restore's own outcome is missing. */
  readonly recoveryPointTime: string;
  /** The restore's outcome (`output`), from restore-data or from allocate ("database": "restore"); none when that part reported none. */
  readonly restored: { readonly output?: RestoreOutcome };
}

export const handler = async (event: ReportRecoveryInput): Promise<RecoveryReport> => reportRecovery(event);

export function reportRecovery(event: ReportRecoveryInput): RecoveryReport {
  const restored = event.restored.output;
  return {
    environment: restored?.environment ?? event.environment,
    release: event.release,
    recoveryPointTime: restored?.recoveryPointTime ?? event.recoveryPointTime,
    recoveryTimeSeconds: Math.round((Date.now() - event.startedAt) / 1000),
    ...(restored ? { newDatabase: restored.newDatabase, oldDatabase: restored.oldDatabase } : {}),
  };
}
