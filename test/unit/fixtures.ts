/**
 * Payloads shared by the unit tests of the deploy Lambdas: a tier plan shaped like the
 * one Plan Release produces for the canonical web tier, batches of named hosts, and the
 * database and validation sections of a plan.
 */
import type { DatabaseTaskInput, BatchTaskInput, CommandSpec, DatabasePlan, DeployPlan, HostRef, PhaseState, TierPlan, ValidationPlan, ValidationTaskInput } from '../../lambdas/domain/contract/payloads';

/** A fixed "now" for handlers that compute deadlines from Date.now(). */
export const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

export const WEB_TG_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/canonical-web/0123456789abcdef';
export const WEB_ADMIN_TG_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/canonical-web-admin/fedcba9876543210';

/** Host n of the web tier: Name "web-n", an instance ID that differs from the name. */
export function webHost(n: number, previous = '1.0.0'): HostRef {
  return { id: `i-0a${String(n).padStart(15, '0')}`, name: `web-${n}`, previous };
}

export function webTier(overrides: Partial<TierPlan> = {}): TierPlan {
  return {
    environment: 'canonical',
    name: 'web',
    role: 'web',
    traffic: { kind: 'target-group', targetGroupArns: [WEB_TG_ARN] },
    install: { document: 'FleetFlow-InstallRelease', parameters: { component: ['storefront'] }, timeoutSeconds: 900 },
    drainTimeoutSeconds: 180,
    healthTimeoutSeconds: 300,
    healthyAfterSeconds: 30,
    alarms: ['canonical-web-5xx'],
    hostCount: 4,
    minHealthy: 2,
    batchSize: 2,
    polling: { minSeconds: 2, maxSeconds: 30 },
    ...overrides,
  };
}

/** A tier that leaves and rejoins two target groups together. */
export const TWO_TARGET_GROUPS: TierPlan['traffic'] = { kind: 'target-group', targetGroupArns: [WEB_TG_ARN, WEB_ADMIN_TG_ARN] };

/** A clustered tier that drains and undrains its nodes with SSM documents. */
export const DRAIN_TRAFFIC: TierPlan['traffic'] = {
  kind: 'drain-command',
  drain: { document: 'FleetFlow-DrainNode', parameters: { mode: ['graceful'] }, timeoutSeconds: 600 },
  undrain: { document: 'FleetFlow-UndrainNode', parameters: {}, timeoutSeconds: 600 },
};

/** The health command of a tier no target group checks (clustered and monitoring tiers). */
export const HEALTH_COMMAND: CommandSpec = { document: 'FleetFlow-CheckHealth', parameters: { port: ['8080'] }, timeoutSeconds: 60 };

/** A tier that takes no traffic and so is checked by its health command only. */
export const NO_TRAFFIC: TierPlan['traffic'] = { kind: 'none' };

export interface BatchOptions {
  readonly tier?: TierPlan;
  readonly hosts?: HostRef[];
  readonly rollback?: boolean;
  readonly phase?: PhaseState;
  readonly release?: string;
}

export function batchInput(options: BatchOptions = {}): BatchTaskInput {
  return {
    release: options.release ?? '2.0.0',
    execution: 'deploy-2-0-0',
    tier: options.tier ?? webTier(),
    batch: { index: 0, count: 2, hosts: options.hosts ?? [webHost(1), webHost(2)] },
    rollback: options.rollback ?? false,
    ...(options.phase ? { phase: options.phase } : {}),
  };
}

/** A phase that started `elapsedSeconds` before NOW and ends `remainingSeconds` after it. */
export function phaseAt(elapsedSeconds: number, remainingSeconds: number, commandIds?: string[]): PhaseState {
  return {
    startedAt: NOW - elapsedSeconds * 1000,
    deadline: NOW + remainingSeconds * 1000,
    done: false,
    waitSeconds: 2,
    ...(commandIds ? { commandIds } : {}),
  };
}

/** Host n of the middle tier, which runs the database migration. */
export function middleHost(n: number, previous = '1.0.0'): HostRef {
  return { id: `i-0b${String(n).padStart(15, '0')}`, name: `middle-${n}`, previous };
}

/** The database section Plan Release produces for the canonical environment. */
export function databasePlan(overrides: Partial<DatabasePlan> = {}): DatabasePlan {
  return {
    instanceIdentifier: 'canonical-db',
    snapshotId: 'fleetflow-canonical-2-0-0-deploy-2-0-0',
    snapshotTimeoutSeconds: 3600,
    migration: {
      document: 'FleetFlow-ApplyMigration',
      parameters: { databaseSecret: ['/canonical/database/migrator-password'] },
      timeoutSeconds: 1800,
    },
    runner: middleHost(1),
    polling: { minSeconds: 2, maxSeconds: 30 },
    ...overrides,
  };
}

export function databaseInput(options: { database?: DatabasePlan; phase?: PhaseState } = {}): DatabaseTaskInput {
  return {
    release: '2.0.0',
    execution: 'deploy-2-0-0',
    database: options.database ?? databasePlan(),
    ...(options.phase ? { phase: options.phase } : {}),
  };
}

/** The validation section Plan Release produces for the canonical environment. */
/** Canonical's release of 2.0.0 over 1.0.0 with the given planned tiers: their hosts and batches counted, unless overridden. */
export function deployPlan(tiers: DeployPlan['tiers'], overrides: Partial<DeployPlan> = {}): DeployPlan {
  return {
    environment: 'canonical',
    component: 'application',
    release: '2.0.0',
    recordedRelease: '1.0.0',
    validation: validationPlan(),
    tiers,
    hostCount: tiers.reduce((n, t) => n + t.batches.reduce((m, b) => m + b.length, 0), 0),
    batchCount: tiers.reduce((n, t) => n + t.batchCount, 0),
    alreadyReleased: [],
    upToDate: false,
    ...overrides,
  };
}

export function validationPlan(overrides: Partial<ValidationPlan> = {}): ValidationPlan {
  return {
    alarms: ['canonical-availability'],
    alarmPrefixes: ['canonical-web-', 'canonical-middle-'],
    bakeSeconds: 300,
    approval: { required: false, timeoutSeconds: 3600 },
    onFailure: 'rollback',
    polling: { minSeconds: 2, maxSeconds: 30 },
    ...overrides,
  };
}

export function validationInput(options: { validation?: ValidationPlan; phase?: PhaseState } = {}): ValidationTaskInput {
  return {
    release: '2.0.0',
    validation: options.validation ?? validationPlan(),
    ...(options.phase ? { phase: options.phase } : {}),
  };
}
