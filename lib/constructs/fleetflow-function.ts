/**
 * The one place that fixes every FleetFlow Lambda's defaults: runtime, architecture,
 * bundling, JSON logs into an owned log group, tracing, timeout. Each function gets
 * its own role with no managed policy; callers grant exactly what the task needs.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
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
}

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

/** Metadata key that ties a synthesized function to its handler module (used by the simulator). */
export const HANDLER_METADATA_KEY = 'fleetflow:handler';

export const XRAY_REASON = 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions';

const LAMBDAS_DIR = fileURLToPath(new URL('../../lambdas/', import.meta.url));

export class FleetFlowFunction extends Construct {
  readonly function: NodejsFunction;
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
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${LAMBDAS_DIR}${props.handler}`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? FUNCTION_TIMEOUT,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: { POWERTOOLS_SERVICE_NAME: 'fleetflow', NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.ESM,
        target: 'node24',
        // Bundle the SDK: per-client imports keep each bundle small and pin the version we tested.
        externalModules: [],
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
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
