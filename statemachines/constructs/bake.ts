/**
 * The bake: Start Bake -> [Wait For Bake -> Check Bake]* watches the validation alarms for
 * the bake period. In recovery (after a revert) only the alarms' state at the end counts.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { lambdaTask } from './lambda-task';

export function validationPayload(phasePath?: string): Record<string, unknown> {
  return { 'release.$': '$.plan.release', 'validation.$': '$.plan.validation', ...(phasePath ? { 'phase.$': phasePath } : {}) };
}

export interface BakeLoop {
  readonly first: tasks.LambdaInvoke;
  readonly tasks: tasks.LambdaInvoke[];
  /** Where the bake goes once its period passed quietly. */
  done(next: sfn.IChainable): void;
}

export function bakeLoop(scope: Construct, prefix: string, checkBake: lambda.IFunction, recovering = false): BakeLoop {
  const payload = (phasePath?: string) => ({ ...validationPayload(phasePath), ...(recovering ? { recovering: true } : {}) });
  const start = lambdaTask(scope, `${prefix}Start Bake`, checkBake, payload(), '$.bake', { idempotent: true });
  const choice = new sfn.Choice(scope, `${prefix}Bake Done?`);
  const wait = new sfn.Wait(scope, `${prefix}Wait For Bake`, { time: sfn.WaitTime.secondsPath('$.bake.waitSeconds') });
  const check = lambdaTask(scope, `${prefix}Check Bake`, checkBake, payload('$.bake'), '$.bake', { idempotent: true });
  start.next(choice);
  wait.next(check);
  check.next(choice);
  choice.otherwise(wait);
  return {
    first: start,
    tasks: [start, check],
    done: (next) => {
      choice.when(sfn.Condition.booleanEquals('$.bake.done', true), next);
    },
  };
}
