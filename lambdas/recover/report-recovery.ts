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
  readonly newDatabase: RestoreOutcome['newDatabase'];
  readonly oldDatabase: RestoreOutcome['oldDatabase'];
}

export const handler = async (event: { startedAt: number; release: string; restored: RestoreOutcome }): Promise<RecoveryReport> => reportRecovery(event);

export function reportRecovery(event: { startedAt: number; release: string; restored: RestoreOutcome }): RecoveryReport {
  return {
    environment: event.restored.environment,
    release: event.release,
    recoveryPointTime: event.restored.recoveryPointTime,
    recoveryTimeSeconds: Math.round((Date.now() - event.startedAt) / 1000),
    newDatabase: event.restored.newDatabase,
    oldDatabase: event.restored.oldDatabase,
  };
}
