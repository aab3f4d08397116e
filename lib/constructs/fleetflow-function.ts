/**
 * The one place that fixes every FleetFlow Lambda's defaults: runtime, architecture, memory,
 * bundling, JSON logs into an owned log group, tracing, timeout. Each function gets
 * its own role with no managed policy; callers grant exactly what the task needs.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Validations, type ILocalBundling } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_TASK_TIMEOUT } from '../../statemachines/constructs/lambda-task';

export interface FleetFlowFunctionProps {
  /** Handler module, relative to the repository's `lambdas/` folder, e.g. `deploy/plan-release.ts`. */
  readonly handler: string;
  /** What the task does, shown in the Lambda console. */
  readonly description: string;
  /**
   * Lambda's timeout for the function: at or below the Step Functions timeout of the tasks that
   * call it, and well above any time budget its handler keeps (`TIME_BUDGET_MS`).
   * @default FUNCTION_TIMEOUT
   */
  readonly timeout?: Duration;
  /**
   * Memory, in MB, for a function whose cold start needs more CPU than the default gives
   * (Lambda allocates CPU in proportion to memory).
   * @default FUNCTION_MEMORY_MB
   */
  readonly memorySize?: number;
}

/** Memory of a FleetFlow function unless its spec says otherwise: see PLANNER_MEMORY_MB for the planners. */
export const FUNCTION_MEMORY_MB = 256;

/**
 * How long a FleetFlow function may run (Lambda: "Timeout is the maximum amount of time in
 * seconds that a Lambda function can run"). Every task that calls one has Step Functions'
 * LAMBDA_TASK_TIMEOUT (120 s); the function stops 20 s before it, so that a handler that runs
 * too long fails as Lambda reports it (Sandbox.Timedout), not as a task that never answered
 * (States.Timeout), and an invocation's overhead still fits in the task. A handler that keeps
 * a budget of its own (`TIME_BUDGET_MS`, Launch Hosts' 60 s) stops well before this: at most
 * two thirds of it (test/infra/lambda-timeouts.test.ts checks both, for every task).
 */
export const FUNCTION_TIMEOUT = Duration.seconds(LAMBDA_TASK_TIMEOUT.toSeconds() - 20);

/**
 * The timeout of the planners that read each retired host's stop and termination protection
 * (Plan Release for a surge tier's old hosts, Plan Scale In, Plan Replacement:
 * lambdas/compute/retire-guards.ts). Those reads are one DescribeInstanceAttribute call per host
 * and attribute, paced to EC2's request rate (20 a second after a burst of 50), so a 1,000-host
 * surge tier takes 97.5 s, past FUNCTION_TIMEOUT. Lambda's longest: "you can adjust this in
 * increments of 1 second up to a maximum value of 900 seconds (15 minutes)" (Lambda Developer
 * Guide, Configure Lambda function timeout); the guard keeps two thirds of it for the reads
 * (ATTRIBUTE_READ_BUDGET_SECONDS) and refuses more before the first. The tasks that invoke them
 * wait 20 s longer (statemachines/constructs/lambda-task.ts `taskTimeoutFor`).
 */
export const RETIRE_GUARD_PLANNER_TIMEOUT = Duration.seconds(900);

/** Metadata key that ties a synthesized function to its handler module (used by the simulator). */
export const HANDLER_METADATA_KEY = 'fleetflow:handler';

export const XRAY_REASON = 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions';

const LAMBDAS_DIR = fileURLToPath(new URL('../../lambdas/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The bundler every function is built with (lambda-bundler.mjs: esbuild, with the settings the bench measures). */
const BUNDLER = fileURLToPath(new URL('./lambda-bundler.mjs', import.meta.url));

/**
 * CDK context key that ships source maps, for debugging: `npx cdk deploy -c fleetflow:sourceMaps=true`
 * bundles each function with its `index.mjs.map` and sets `NODE_OPTIONS=--enable-source-maps`, so
 * stack traces name the TypeScript files. Off by default: with source maps enabled Node reads and
 * parses a module's map when it loads the module, CPU that every cold start would pay for a stack
 * trace it rarely prints (and the maps were 180 MiB, 4.4 times the bundles' bytes).
 */
export const SOURCE_MAPS_CONTEXT = 'fleetflow:sourceMaps';

/** The source-maps context's value: `true` or `false` (a boolean, or the text `-c` gives); anything else is refused. */
export function sourceMapsEnabled(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`context ${SOURCE_MAPS_CONTEXT}: must be true or false (received ${String(JSON.stringify(value)).slice(0, 80)})`);
}

export class FleetFlowFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  private readonly wildcardReasons = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: FleetFlowFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // No description of its own: the function's, on the function, says what its role is for (the role's
    // name carries the function's construct ID); repeated on 51 roles it was 4 KB of the template.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const sourceMaps = sourceMapsEnabled(this.node.tryGetContext(SOURCE_MAPS_CONTEXT));
    const entry = `${LAMBDAS_DIR}${props.handler}`;
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(REPO_ROOT, {
        // The bundle's own bytes name the asset, as NodejsFunction does: a change anywhere in what it imports changes it.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never run: the local bundling below either writes the bundle or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
          local: new LocalBundling(entry, sourceMaps),
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? FUNCTION_MEMORY_MB,
      timeout: props.timeout ?? FUNCTION_TIMEOUT,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: { POWERTOOLS_SERVICE_NAME: 'fleetflow', ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}) },
    });
    logGroup.grantWrite(this.role);
    this.wildcardReasons.set('*', [XRAY_REASON]);
    acknowledgeWildcard(this.role, '*', XRAY_REASON);
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handler);
  }

  /**
   * Grants the task one statement. A resource containing "*" needs `wildcardReason`,
   * which is recorded as the cdk-nag acknowledgement of exactly that resource.
   */
  allow(grant: {
    actions: string[];
    resources: string[];
    conditions?: Record<string, Record<string, unknown>>;
    wildcardReason?: string;
  }): void {
    this.role.addToPolicy(new iam.PolicyStatement({ actions: grant.actions, resources: grant.resources, conditions: grant.conditions }));
    for (const resource of grant.resources.filter((r) => r.includes('*'))) {
      if (!grant.wildcardReason) throw new Error(`${this.node.path}: wildcard resource ${resource} granted without a reason`);
      const reasons = this.wildcardReasons.get(resource) ?? [];
      reasons.push(grant.wildcardReason);
      this.wildcardReasons.set(resource, reasons);
      acknowledgeWildcard(this.role, resource, reasons.join('; '));
    }
  }

  arn(service: string, resource: string, account = Stack.of(this).account): string {
    const stack = Stack.of(this);
    return `arn:${stack.partition}:${service}:${stack.region}:${account}:${resource}`;
  }
}

/**
 * Bundles one handler with lambda-bundler.mjs, in a Node process (esbuild's plugins need its
 * asynchronous API; CDK asks for the bundle synchronously). `entry` and `sourceMaps` are fields
 * because CDK keys its asset cache by the bundling options as JSON: two functions must differ.
 * Without source maps, the first function's bundling bundles every handler in one esbuild run
 * (`handlerBundles`) and each function then copies its own: the same bytes, a fraction of the time.
 */
class LocalBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly sourceMaps: boolean,
  ) {}

  tryBundle(outputDir: string): boolean {
    const bundled = this.sourceMaps ? undefined : handlerBundles().get(this.entry);
    if (bundled !== undefined) {
      copyFileSync(bundled, join(outputDir, 'index.mjs'));
      return true;
    }
    const flags = this.sourceMaps ? ['--source-maps'] : [];
    execFileSync(process.execPath, [BUNDLER, this.entry, outputDir, ...flags], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    return true;
  }
}

/** Workflow folders of lambdas/ hold handlers; these two hold what handlers import. */
const NOT_HANDLER_FOLDERS = new Set(['shared', 'domain']);
const EXPORTS_HANDLER = /^export (?:const|async function|function) handler\b/m;

/** Every handler's bundle (entry → its index.mjs), written once per process; a handler it does not list is bundled alone. */
let handlerBundleFiles: Map<string, string> | undefined;

function handlerBundles(): Map<string, string> {
  if (handlerBundleFiles) return handlerBundleFiles;
  const entries = new Map<string, string>();
  for (const folder of readdirSync(LAMBDAS_DIR, { withFileTypes: true })) {
    if (!folder.isDirectory() || NOT_HANDLER_FOLDERS.has(folder.name)) continue;
    for (const file of readdirSync(join(LAMBDAS_DIR, folder.name))) {
      const entry = join(LAMBDAS_DIR, folder.name, file);
      if (file.endsWith('.ts') && EXPORTS_HANDLER.test(readFileSync(entry, 'utf8'))) entries.set(relative(LAMBDAS_DIR, entry).replace(/\.ts$/, ''), entry);
    }
  }
  const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-bundles-'));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  const pairs = [...entries].map(([dir, entry]) => `${dir}=${entry}`);
  execFileSync(process.execPath, [BUNDLER, '--many', outdir, ...pairs], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  handlerBundleFiles = new Map([...entries].map(([dir, entry]) => [entry, join(outdir, dir, 'index.mjs')]).filter(([, file]) => existsSync(file!)) as Array<[string, string]>);
  return handlerBundleFiles;
}

/** Acknowledges the cdk-nag IAM5 finding for one wildcard resource of a role. */
export function acknowledgeWildcard(scope: Construct, resource: string, reason: string): void {
  const finding = nagResourceName(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${finding}]`, reason });
}

/** Renders a resolved CloudFormation value the way cdk-nag names it in findings. */
function nagResourceName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `<${String(v.Ref)}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(nagResourceName).join(separator);
    }
  }
  return JSON.stringify(value);
}
