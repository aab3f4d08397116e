/**
 * Turns the CDK stack into what a local execution needs: the state machine definition
 * exactly as synthesized (CloudFormation intrinsics resolved with the simulated
 * account's IDs), and for every Lambda task state the handler module it invokes.
 */
import { App } from 'aws-cdk-lib';
import { HANDLER_METADATA_KEY } from '../constructs/fleetflow-function';
import { FleetFlowStack } from '../fleetflow-stack';
import type { EnvironmentDefinition } from '../environment/model';
import { LOCK_TABLE_NAME, SIM_ACCOUNT_ID, SIM_REGION } from './fleet';

export type TaskTarget = { readonly kind: 'lambda'; readonly module: string } | { readonly kind: 'integration'; readonly resource: string };

export interface LocalStateMachine {
  readonly definition: AslDefinition;
  /** Task state name -> the handler module (relative to `lambdas/`) or direct integration it calls. */
  readonly taskHandlers: Map<string, TaskTarget>;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

export interface AslState {
  Type: string;
  Resource?: string;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

type CfnTemplate = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }> };

export function synthesizeLocalStateMachine(environment: EnvironmentDefinition): LocalStateMachine {
  // Bundling is skipped: the simulator runs the handlers' TypeScript in-process.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FleetFlowStack(app, `FleetFlow-${environment.name}`, {
    environment,
    env: { account: SIM_ACCOUNT_ID, region: SIM_REGION },
  });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  return fromTemplate(template);
}

export function fromTemplate(template: CfnTemplate): LocalStateMachine {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const definition = JSON.parse(resolveIntrinsics(machines[0]!.Properties!.DefinitionString, template)) as AslDefinition;

  const handlerByArn = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const handler = resource.Metadata?.[HANDLER_METADATA_KEY];
    if (resource.Type === 'AWS::Lambda::Function' && typeof handler === 'string') handlerByArn.set(functionArn(logicalId), handler);
  }
  const taskHandlers = new Map<string, TaskTarget>();
  forEachState(definition, (name, state) => {
    if (state.Type !== 'Task') return;
    if (state.Resource?.includes(':states:::')) {
      taskHandlers.set(name, { kind: 'integration', resource: state.Resource });
      return;
    }
    const handler = state.Resource ? handlerByArn.get(state.Resource) : undefined;
    if (!handler) throw new Error(`task state "${name}" invokes ${state.Resource}, which is not a FleetFlow function`);
    taskHandlers.set(name, { kind: 'lambda', module: handler });
  });
  return { definition, taskHandlers };
}

export function forEachState(definition: AslDefinition, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States)) {
    visit(name, state);
    const nested = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(Boolean) as AslDefinition[];
    for (const child of nested) forEachState(child, visit);
  }
}

function functionArn(logicalId: string): string {
  return `arn:aws:lambda:${SIM_REGION}:${SIM_ACCOUNT_ID}:function:${logicalId}`;
}

function resolveIntrinsics(value: unknown, template: CfnTemplate): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, template)).join(separator);
  }
  if ('Fn::GetAtt' in v) {
    const [logicalId, attribute] = v['Fn::GetAtt'] as [string, string];
    if (attribute === 'Arn' && template.Resources[logicalId]?.Type === 'AWS::Lambda::Function') return functionArn(logicalId);
    throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute} locally`);
  }
  if ('Ref' in v) {
    const ref = v.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': SIM_REGION,
      'AWS::AccountId': SIM_ACCOUNT_ID,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (ref in pseudo) return pseudo[ref]!;
    const type = template.Resources[ref]?.Type;
    if (type === 'AWS::DynamoDB::Table') return LOCK_TABLE_NAME;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT_ID}:${ref}`;
    throw new Error(`cannot resolve Ref ${ref} locally`);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 80)} locally`);
}
