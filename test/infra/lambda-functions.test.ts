import { existsSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_MEMORY_MB } from '../../lib/constructs/fleetflow-function';
import { PLANNER_MEMORY_MB } from '../../lib/constructs/function-catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaFunctions, sharedCanonical, type CanonicalTemplate } from './support';

/**
 * One function per kind of workflow task: the rolling release, the database step, validation, rollback and record;
 * the compute workflows' (allocate, scale out, replace): plans, launch, readiness, setup, retirement, cleanup, database
 * creation; a surge release's; and the data workflows' (restore-data, recover): plans, the restore, its check, the
 * connection parameter, the repoint (and back), the database record, the recovery report.
 */
const TASK_HANDLERS = [
  'deploy/plan-release.ts',
  'rollout/check-capacity.ts',
  'rollout/take-out-of-traffic.ts',
  'rollout/check-drained.ts',
  'rollout/install-release.ts',
  'rollout/check-install.ts',
  'rollout/return-to-traffic.ts',
  'rollout/check-healthy.ts',
  'rollout/check-alarms.ts',
  'deploy/plan-rollback.ts',
  'deploy/record-release.ts',
  'rollout/load-batch.ts',
  'database/check-database.ts',
  'database/create-snapshot.ts',
  'database/check-snapshot.ts',
  'database/run-migration.ts',
  'database/check-migration.ts',
  'deploy/preflight.ts',
  'deploy/check-bake.ts',
  'compute/plan-allocation.ts',
  'compute/plan-scale-out.ts',
  'compute/plan-scale-in.ts',
  'compute/plan-replacement.ts',
  'compute/launch-hosts.ts',
  'compute/check-hosts-ready.ts',
  'compute/verify-dependencies.ts',
  'compute/store-new-hosts.ts',
  'compute/terminate-launched.ts',
  'compute/create-database.ts',
  'compute/check-database-created.ts',
  'compute/set-up-hosts.ts',
  'compute/check-set-up.ts',
  'compute/retire-hosts.ts',
  'compute/check-retired.ts',
  // Surge releases: a batch's new hosts, its old ones restarted by a rollback, and terminated once the release is recorded.
  'surge/launch-surge-hosts.ts',
  'surge/set-up-surge-hosts.ts',
  'surge/start-hosts.ts',
  'surge/check-started.ts',
  // Restore data: the plan, the new instance and its check, the connection parameter, each batch's reconfigure (rollout modes
  // repoint and repoint-back), the repoint back's plan, the current database's record.
  'restore-data/plan-restore-data.ts',
  'restore-data/restore-database.ts',
  'restore-data/check-restore.ts',
  'restore-data/validate-data.ts',
  'restore-data/check-validation.ts',
  'restore-data/write-connection.ts',
  'restore-data/reconfigure-hosts.ts',
  'restore-data/check-reconfigured.ts',
  'restore-data/plan-repoint-back.ts',
  'restore-data/record-database.ts',
  // Disaster recovery: what it needs before it starts, and the recovery point and time once done.
  'recover/plan-recover.ts',
  'recover/report-recovery.ts',
  // Replace-database: the plan, then one function per long operation (start and check), the record.
  'replace-database/plan-replace-database.ts',
  'replace-database/create-green.ts',
  'replace-database/check-green-database.ts',
  'replace-database/check-replica-lag.ts',
  'replace-database/switch-over.ts',
  'replace-database/record-replacement.ts',
];

/** Oldest Node.js Lambda runtime we accept: 24 is the current LTS runtime. */
const MIN_NODE_RUNTIME = 24;

describe('FleetFlow Lambda functions', () => {
  let synth: CanonicalTemplate;

  beforeAll(() => {
    synth = sharedCanonical();
  });
  afterAll(() => synth?.cleanup());

  it(`deploys exactly the ${TASK_HANDLERS.length} workflow task functions, each built from a handler module that exists`, () => {
    // Prepare / Act
    const handlers = lambdaFunctions(synth.json).map((f) => f.handler);

    // Assess
    expect(TASK_HANDLERS).toHaveLength(56);
    expect([...handlers].sort()).toEqual([...TASK_HANDLERS].sort());
    synth.template.resourceCountIs('AWS::Lambda::Function', TASK_HANDLERS.length);
    expect(new Set(handlers).size).toBe(handlers.length);
    for (const handler of handlers) expect(existsSync(new URL(`../../lambdas/${handler}`, import.meta.url)), handler).toBe(true);
  });

  it(`runs every function on Node.js ${MIN_NODE_RUNTIME} or newer`, () => {
    const runtimes = lambdaFunctions(synth.json).map((f) => ({ handler: f.handler, runtime: String(f.properties.Runtime) }));

    for (const { handler, runtime } of runtimes) {
      const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
      expect(major, `${handler} runs on ${runtime}`).toBeDefined();
      expect(Number(major), `${handler} runs on ${runtime}`).toBeGreaterThanOrEqual(MIN_NODE_RUNTIME);
    }
  });

  it('runs every function on arm64 with active X-Ray tracing', () => {
    synth.template.allResourcesProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('sets an explicit timeout of at most 15 minutes on every function', () => {
    for (const fn of lambdaFunctions(synth.json)) {
      expect(fn.properties.Timeout, `${fn.handler} has no Timeout`).toEqual(expect.any(Number));
      expect(fn.properties.Timeout as number).toBeGreaterThan(0);
      expect(fn.properties.Timeout as number).toBeLessThanOrEqual(900);
    }
  });

  it('logs every function as JSON into a log group of its own, with a retention', () => {
    synth.template.allResourcesProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.anyValue() } },
    });

    const logGroupIds = lambdaFunctions(synth.json).map((f) => (f.properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
    expect(new Set(logGroupIds).size, 'log groups are shared between functions').toBe(logGroupIds.length);
    for (const id of logGroupIds) {
      const logGroup = synth.json.Resources[id];
      expect(logGroup?.Type, `${id} is not a log group of this stack`).toBe('AWS::Logs::LogGroup');
      expect(logGroup?.Properties?.RetentionInDays, `${id} keeps logs forever`).toEqual(expect.any(Number));
    }
  });

  it('gives every function a role of its own that only Lambda can assume', () => {
    const roleIds = lambdaFunctions(synth.json).map((f) => f.roleLogicalId);

    expect(new Set(roleIds).size, 'roles are shared between functions').toBe(roleIds.length);
    for (const id of roleIds) {
      expect(synth.json.Resources[id]?.Properties?.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    }
  });

  it('loads no source map at run time by default: no function sets NODE_OPTIONS (--enable-source-maps)', () => {
    for (const fn of lambdaFunctions(synth.json)) {
      const variables = (fn.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
      expect(variables, fn.handler).not.toHaveProperty('NODE_OPTIONS');
    }
  });

  it(`gives the planners (plan-*.ts) ${PLANNER_MEMORY_MB} MB, for a short cold start, and every other function ${FUNCTION_MEMORY_MB} MB`, () => {
    const memory = Object.fromEntries(lambdaFunctions(synth.json).map((f) => [f.handler, f.properties.MemorySize]));
    const planners = Object.keys(memory).filter((handler) => /\/plan-[^/]+\.ts$/.test(handler));

    // Every workflow's planner, the two that plan a way back included.
    expect(planners.sort()).toEqual([
      'compute/plan-allocation.ts',
      'compute/plan-replacement.ts',
      'compute/plan-scale-in.ts',
      'compute/plan-scale-out.ts',
      'deploy/plan-release.ts',
      'deploy/plan-rollback.ts',
      'recover/plan-recover.ts',
      'replace-database/plan-replace-database.ts',
      'restore-data/plan-repoint-back.ts',
      'restore-data/plan-restore-data.ts',
    ]);
    for (const [handler, mb] of Object.entries(memory)) expect(mb, handler).toBe(planners.includes(handler) ? PLANNER_MEMORY_MB : FUNCTION_MEMORY_MB);
  });
});
