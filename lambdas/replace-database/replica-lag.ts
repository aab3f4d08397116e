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
 *
 * With logical replication (a PostgreSQL major upgrade) the green is no read replica: "For
 * PostgreSQL blue/green deployments that use logical replication, check the
 * OldestReplicationSlotLag CloudWatch metric in the blue environment to identify the current
 * replica lag" (RDS User Guide, "Monitoring replica lag prior to switchover"). That metric is
 * in bytes ("The lagging size of the replica lagging the most in terms of write-ahead log (WAL)
 * data received", Units: Bytes); the blue's TransactionLogsGeneration ("The size of transaction
 * logs generated per second", Bytes per second) turns it into the seconds of WAL the green is
 * behind, compared with the same threshold. That conversion is FleetFlow's estimate, not a
 * figure RDS publishes: 0 bytes is caught up whatever the rate; bytes with no rate to divide by
 * are not.
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
  const { lagSeconds, seen } = plan.replication === 'logical' ? await logicalLag(plan.current.identifier, now) : await physicalLag(event.greenIdentifier, now);
  if (lagSeconds !== null && lagSeconds >= 0 && lagSeconds <= plan.maxLagSeconds) return { ...completePhase(phase, now), lagSeconds };
  if (now >= phase.deadline) {
    throw new ReplicaLagTooHighError(
      `the green ${event.greenIdentifier} did not catch up within ${plan.lagTimeoutSeconds}s (${seen}, threshold ${plan.maxLagSeconds}s); no switchover was asked for: ${plan.current.identifier} still serves, and the green is kept for inspection`,
    );
  }
  return { ...continuePhase(phase, plan.polling, now), lagSeconds };
}

interface Lag {
  /** Seconds behind, or null when there is nothing to tell it by yet. */
  readonly lagSeconds: number | null;
  /** What was read, for the cause of a timeout. */
  readonly seen: string;
}

/** Physical or binlog replication: the green's own ReplicaLag. */
async function physicalLag(green: string, now: number): Promise<Lag> {
  const lagSeconds = await latest(green, 'ReplicaLag', 'Maximum', now);
  return { lagSeconds, seen: lagSeconds === null ? 'no ReplicaLag datapoint' : lagSeconds < 0 ? 'ReplicaLag -1 (replication not active)' : `ReplicaLag ${lagSeconds}s` };
}

/** Logical replication: the blue's slot lag in bytes over its WAL rate, rounded up to whole seconds. */
async function logicalLag(blue: string, now: number): Promise<Lag> {
  const bytes = await latest(blue, 'OldestReplicationSlotLag', 'Maximum', now);
  if (bytes === null) return { lagSeconds: null, seen: `no OldestReplicationSlotLag datapoint of ${blue}` };
  if (bytes <= 0) return { lagSeconds: 0, seen: `OldestReplicationSlotLag 0 bytes on ${blue}` };
  const rate = await latest(blue, 'TransactionLogsGeneration', 'Average', now);
  if (rate === null || rate <= 0) return { lagSeconds: null, seen: `OldestReplicationSlotLag ${bytes} bytes on ${blue}, with no TransactionLogsGeneration to time it by` };
  const lagSeconds = Math.ceil(bytes / rate);
  return { lagSeconds, seen: `OldestReplicationSlotLag ${bytes} bytes on ${blue}, about ${lagSeconds}s of WAL at ${Math.round(rate)} bytes/s` };
}

/** The newest datapoint's statistic over the last few periods, or null when there is none yet. */
async function latest(identifier: string, metric: string, statistic: 'Maximum' | 'Average', now: number): Promise<number | null> {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/RDS',
      MetricName: metric,
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: identifier }],
      StartTime: new Date(now - 5 * PERIOD_SECONDS * 1000),
      EndTime: new Date(now),
      Period: PERIOD_SECONDS,
      Statistics: [statistic],
    }),
  );
  const newest = [...Datapoints].filter((d) => d.Timestamp && d[statistic] !== undefined).sort((a, b) => +new Date(b.Timestamp!) - +new Date(a.Timestamp!))[0];
  return newest ? newest[statistic]! : null;
}
