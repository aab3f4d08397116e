/**
 * Which AWS services each handler calls, and the error names its task retries for them
 * (statemachines/constructs/handler-services.ts, lambda-task.ts; lambdas/shared/throttling.ts,
 * transient.ts). The synth-time reading of a handler's imports is held to TypeScript's own
 * scanner (./import-graph.ts) for every handler; the clients to lambdas/shared/aws/; the names
 * to the SDK's own exception classes and to what the simulator's throttle faults raise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchServiceException, InternalServiceFault } from '@aws-sdk/client-cloudwatch';
import {
  DynamoDBServiceException,
  InternalServerError as DynamoDBInternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException as DynamoDBThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { InternalServerError as SSMInternalServerError, SSMServiceException, ThrottlingException as SSMThrottlingException } from '@aws-sdk/client-ssm';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { AWS_SERVICES, isThrottling, THROTTLING_ERRORS_BY_SERVICE, type AwsService } from '../../lambdas/shared/throttling';
import { SDK_TRANSIENT_ERRORS, TRANSIENT_ERRORS, TRANSIENT_ERRORS_BY_SERVICE } from '../../lambdas/shared/transient';
import { HANDLER_METADATA_KEY as FUNCTION_HANDLER_KEY } from '../../lib/constructs/fleetflow-function';
import { THROTTLING_ERROR_BY_SERVICE } from '../../lib/simulator/aws-errors';
import { FLEETFLOW_ERRORS } from '../../statemachines/constructs/failures';
import { HANDLER_METADATA_KEY, servicesOfHandler } from '../../statemachines/constructs/handler-services';
import { LAMBDA_SERVICE_ERRORS, LAMBDA_THROTTLING_ERROR, lambdaTask } from '../../statemachines/constructs/lambda-task';
import { ROOT, repositoryGraph } from './import-graph';

const CLIENTS_DIR = 'lambdas/shared/aws';
const isHandlerModule = (file: string) =>
  /^lambdas\/(?!shared\/|domain\/)[^/]+\/[^/]+\.ts$/.test(file) && /^export const handler\b/m.test(readFileSync(join(ROOT, file), 'utf8'));

/** The services whose client modules `module` reaches in TypeScript's import graph. */
function reachedServices(graph: Map<string, string[]>, module: string): AwsService[] {
  const seen = new Set([module]);
  const queue = [module];
  for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
    for (const next of graph.get(m) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return AWS_SERVICES.filter((s) => seen.has(`${CLIENTS_DIR}/${s}.ts`));
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the AWS services of a handler', () => {
  const graph = repositoryGraph();
  const handlers = [...graph.keys()].filter(isHandlerModule).sort();

  it('are the client modules of lambdas/shared/aws/, each creating its one SDK client, and no other module creates one', () => {
    const clientModules = readdirSync(join(ROOT, CLIENTS_DIR)).filter((f) => f !== 'http.ts');
    expect(clientModules.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...AWS_SERVICES].sort());
    for (const file of clientModules) {
      expect(readFileSync(join(ROOT, CLIENTS_DIR, file), 'utf8').match(/new \w+Client\(/g), file).toHaveLength(1);
    }
    // A client created anywhere else would be a service call the retriers know nothing of.
    const elsewhere = sourcesUnder('lambdas').filter((f) => !f.startsWith(`${CLIENTS_DIR}/`) && /new [A-Z]\w*Client\(/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(elsewhere).toEqual([]);
  });

  it("are read at synth time exactly as TypeScript's scanner reads the handler's import graph, for every handler", () => {
    expect(handlers.length).toBeGreaterThan(40);
    const disagreements = handlers.flatMap((h) => {
      const expected = reachedServices(graph, h);
      const read = servicesOfHandler(h.replace(/^lambdas\//, ''));
      return JSON.stringify(read) === JSON.stringify(expected) ? [] : [`${h}: read ${read.join(',') || '-'}, imports ${expected.join(',') || '-'}`];
    });
    expect(disagreements).toEqual([]);
    // Not a vacuous agreement: handlers that call nothing, one service, several; and DynamoDB through the plan store.
    const counts = new Set(handlers.map((h) => reachedServices(graph, h).length));
    expect([0, 1, 2].every((n) => counts.has(n))).toBe(true);
    expect(handlers.some((h) => reachedServices(graph, h).includes('dynamodb'))).toBe(true);
  });

  it('is named by the metadata key FleetFlowFunction writes', () => {
    expect(HANDLER_METADATA_KEY).toBe(FUNCTION_HANDLER_KEY);
  });
});

describe('the error names per service', () => {
  const sdk = (e: { name: string }) => e.name;
  const meta = { message: '', $metadata: {} };

  it("are the SDK's own exception names where the SDK models them", () => {
    expect(THROTTLING_ERRORS_BY_SERVICE.dynamodb).toEqual(
      expect.arrayContaining([ProvisionedThroughputExceededException, RequestLimitExceeded, DynamoDBThrottlingException].map((E) => sdk(new E(meta)))),
    );
    expect(TRANSIENT_ERRORS_BY_SERVICE.dynamodb).toContain(sdk(new DynamoDBInternalServerError(meta)));
    expect(THROTTLING_ERRORS_BY_SERVICE.ssm).toEqual([sdk(new SSMThrottlingException({ ...meta, Message: '' }))]);
    expect(TRANSIENT_ERRORS_BY_SERVICE.ssm).toContain(sdk(new SSMInternalServerError(meta)));
    expect(TRANSIENT_ERRORS_BY_SERVICE.cloudwatch).toContain(sdk(new InternalServiceFault(meta)));
    // An unmodeled code (EC2's RequestLimitExceeded, the query APIs' Throttling) reaches the handler as a service exception named by the code.
    for (const Base of [DynamoDBServiceException, SSMServiceException, CloudWatchServiceException]) {
      expect(new Base({ name: 'Throttling', $fault: 'client', $metadata: {} }).name).toBe('Throttling');
    }
  });

  it("include what the simulator's throttle faults raise for each service, and every one is throttling to the handlers too", () => {
    for (const service of AWS_SERVICES) {
      expect(THROTTLING_ERRORS_BY_SERVICE[service], service).toContain(THROTTLING_ERROR_BY_SERVICE[service]);
      for (const name of THROTTLING_ERRORS_BY_SERVICE[service]) {
        const error = new Error('throttled');
        error.name = name;
        expect(isThrottling(error), name).toBe(true);
      }
    }
  });

  it("are never one of FleetFlow's own errors, which are answers and must not be retried", () => {
    const all = [...Object.values(THROTTLING_ERRORS_BY_SERVICE).flat(), ...Object.values(TRANSIENT_ERRORS_BY_SERVICE).flat(), ...SDK_TRANSIENT_ERRORS, ...TRANSIENT_ERRORS];
    expect(all.filter((name) => FLEETFLOW_ERRORS.includes(name))).toEqual([]);
  });
});

describe('a Lambda task', () => {
  /** The retriers of a task invoking a function whose handler module is `handler` (undefined: no FleetFlow metadata). */
  function retriers(handler: string | undefined, idempotent: boolean): string[][] {
    const stack = new Stack(new App(), 'S');
    const fn = new lambda.Function(stack, 'F', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>{}') });
    if (handler) (fn.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, handler);
    const task = lambdaTask(stack, 'T', fn, {}, '$.out', { idempotent });
    return ((task.toStateJson() as { Retry: Array<{ ErrorEquals: string[] }> }).Retry ?? []).map((r) => r.ErrorEquals);
  }

  it("retries the throttling and transient names of exactly the services its handler calls, Lambda's and the platform's", () => {
    const handler = 'deploy/record-release.ts';
    const services = servicesOfHandler(handler);
    expect(services).toContain('ssm');
    const [throttle, transient] = retriers(handler, true);
    expect(new Set(throttle)).toEqual(new Set([...LAMBDA_SERVICE_ERRORS, LAMBDA_THROTTLING_ERROR, ...services.flatMap((s) => THROTTLING_ERRORS_BY_SERVICE[s])]));
    expect(new Set(transient)).toEqual(new Set([...TRANSIENT_ERRORS, ...SDK_TRANSIENT_ERRORS, ...services.flatMap((s) => TRANSIENT_ERRORS_BY_SERVICE[s])]));
    // EC2's throttling is not among them unless the handler calls EC2.
    expect(throttle!.includes('RequestLimitExceeded')).toBe(services.includes('ec2') || services.includes('dynamodb'));
  });

  it('of a handler that calls no AWS service retries only what Lambda and the runtime raise', () => {
    const graph = repositoryGraph();
    const pure = [...graph.keys()].filter(isHandlerModule).find((h) => reachedServices(graph, h).length === 0)!;
    expect(pure).toBeDefined();
    const [throttle, transient] = retriers(pure.replace(/^lambdas\//, ''), true);
    expect(throttle).toEqual([...LAMBDA_SERVICE_ERRORS, LAMBDA_THROTTLING_ERROR]);
    expect(transient).toEqual([...TRANSIENT_ERRORS]);
  });

  it('of a function not built by FleetFlow (no handler metadata) retries the names of every service: its calls are unknown', () => {
    const [throttle, transient] = retriers(undefined, true);
    expect(new Set(throttle)).toEqual(new Set([...LAMBDA_SERVICE_ERRORS, LAMBDA_THROTTLING_ERROR, ...Object.values(THROTTLING_ERRORS_BY_SERVICE).flat()]));
    expect(new Set(transient)).toEqual(new Set([...TRANSIENT_ERRORS, ...SDK_TRANSIENT_ERRORS, ...Object.values(TRANSIENT_ERRORS_BY_SERVICE).flat()]));
  });
});
