/**
 * Wait For Replica Lag: the switchover is asked for only once the green has caught up. The
 * measure is the green instance's `ReplicaLag` CloudWatch metric (namespace AWS/RDS, dimension
 * DBInstanceIdentifier): "The amount of time a Read Replica DB instance lags behind the source
 * DB instance. Applies to MySQL, MariaDB, and PostgreSQL Read Replicas. Units: Seconds"; and
 * "If the ReplicaLag metric returns -1, then replication is currently not active" (RDS User
 * Guide, monitoring read replicas), which never counts as caught up. RDS's own switchover
 * guardrail checks the lag too ("Replication lag - Checks if the replica lag of the green
 * primary DB instance is within allowable limits for switchover"), but only once the switchover
 * has started; this threshold is the operator's, and is checked first.
 */
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { ReplicaLagTooHighError } from '../domain/contract/errors';
import { cloudwatch } from '../shared/aws/cloudwatch';
import { completePhase, continuePhase, startPhase } from '../shared/phase';
import type { LagPhase, ReplaceTaskInput } from './types';

type LagEvent = ReplaceTaskInput & { readonly greenIdentifier: string; readonly phase?: LagPhase };

/** The metric's period: RDS publishes instance metrics every minute. */
const PERIOD_SECONDS = 60;

export async function checkReplicaLag(event: LagEvent): Promise<LagPhase> {
  const { plan } = event;
  const now = Date.now();
  const phase = event.phase ?? { ...startPhase(plan.lagTimeoutSeconds, plan.polling), lagSeconds: null };
  const lagSeconds = await latestLag(event.greenIdentifier, now);
  if (lagSeconds !== null && lagSeconds >= 0 && lagSeconds <= plan.maxLagSeconds) return { ...completePhase(phase, now), lagSeconds };
  if (now >= phase.deadline) {
    const seen = lagSeconds === null ? 'no ReplicaLag datapoint' : lagSeconds < 0 ? 'ReplicaLag -1 (replication not active)' : `ReplicaLag ${lagSeconds}s`;
    throw new ReplicaLagTooHighError(
      `the green ${event.greenIdentifier} did not catch up within ${plan.lagTimeoutSeconds}s (${seen}, threshold ${plan.maxLagSeconds}s); no switchover was asked for: ${plan.current.identifier} still serves, and the green is kept for inspection`,
    );
  }
  return { ...continuePhase(phase, plan.polling, now), lagSeconds };
}

/** The newest datapoint's Maximum over the last few periods, or null when there is none yet. */
async function latestLag(identifier: string, now: number): Promise<number | null> {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: identifier }],
      StartTime: new Date(now - 5 * PERIOD_SECONDS * 1000),
      EndTime: new Date(now),
      Period: PERIOD_SECONDS,
      Statistics: ['Maximum'],
    }),
  );
  const newest = [...Datapoints].filter((d) => d.Timestamp && d.Maximum !== undefined).sort((a, b) => +new Date(b.Timestamp!) - +new Date(a.Timestamp!))[0];
  return newest ? newest.Maximum! : null;
}
