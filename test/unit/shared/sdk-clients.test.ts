/**
 * The handlers' SDK clients (lambdas/shared/aws/*): each has a connection and a request
 * timeout, small enough that a hung call fails inside the function timeout, and otherwise
 * the SDK defaults (region, credentials and endpoint from the standard environment).
 *
 * A NodeHttpHandler exposes its resolved options (`httpHandlerConfigs()`) once it has
 * handled a request, so each client sends one real request, to a local server named by
 * AWS_ENDPOINT_URL; that request also shows the endpoint and region still come from the
 * environment.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ListCertificatesCommand } from '@aws-sdk/client-acm';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { ListCommandInvocationsCommand } from '@aws-sdk/client-ssm';
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../../lambdas/shared/aws/http';

/** FleetFlowFunction's default timeout (lib/constructs/fleetflow-function.ts); the state machine allows each task 2 minutes. */
const FUNCTION_TIMEOUT_MS = 60_000;
const REGION = 'ap-southeast-2';

/** One cheap read per client, by the client's key in lambdas/shared/clients.ts. */
const COMMANDS = {
  ec2: () => new DescribeInstancesCommand({}),
  elbv2: () => new DescribeTargetGroupsCommand({}),
  ssm: () => new ListCommandInvocationsCommand({ CommandId: 'probe' }),
  cloudwatch: () => new DescribeAlarmsCommand({}),
  rds: () => new DescribeDBInstancesCommand({}),
  dynamodb: () => new ListTablesCommand({}),
  acm: () => new ListCertificatesCommand({}),
  route53: () => new ListHostedZonesCommand({}),
  events: () => new ListEventBusesCommand({}),
  secretsmanager: () => new ListSecretsCommand({}),
} as const;
type ClientName = keyof typeof COMMANDS;

interface ProbedClient {
  send: (command: unknown) => Promise<unknown>;
  config: {
    requestHandler: { httpHandlerConfigs: () => Record<string, unknown> };
    maxAttempts: () => Promise<number>;
    region: () => Promise<string>;
  };
}

describe('SDK clients of the handlers', () => {
  let server: Server;
  const received: IncomingHttpHeaders[] = [];
  let clients: Record<ClientName, ProbedClient>;

  beforeAll(async () => {
    // Answers at once with an error no retry strategy retries: the point is the request itself.
    server = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(400, { 'content-type': 'text/plain' }).end('probe'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_REGION', REGION);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAPROBEPROBEPROBE0');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'probe-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    // Fresh module instances, created under this environment.
    vi.resetModules();
    ({ allClients: clients } = (await import('../../../lambdas/shared/clients')) as unknown as { allClients: Record<ClientName, ProbedClient> });
    for (const [name, client] of Object.entries(clients)) {
      await client.send(COMMANDS[name as ClientName]()).catch(() => undefined);
    }
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('covers every client the handlers use', () => {
    // Assess
    expect(Object.keys(clients).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it.each(Object.keys(COMMANDS) as ClientName[])('%s has a connection and a request timeout that throws', (name) => {
    // Act
    const options = clients[name].config.requestHandler.httpHandlerConfigs();

    // Assess
    expect(options).toMatchObject({
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Without it a request past requestTimeout only logs a warning.
      throwOnRequestTimeout: true,
    });
  });

  it.each(Object.keys(COMMANDS) as ClientName[])('%s gives up on a hung call well inside the function timeout', async (name) => {
    // Prepare
    const attempts = await clients[name].config.maxAttempts();

    // Act: every attempt hangs until its request timeout; the standard strategy's backoff is under a second at these attempts.
    const worstCaseMs = attempts * (REQUEST_TIMEOUT_MS + 1_000);

    // Assess: the SDK's TimeoutError, not the Lambda timeout, ends the task (3 attempts, DynamoDB 4).
    expect(attempts).toBeLessThanOrEqual(4);
    expect(CONNECTION_TIMEOUT_MS).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(worstCaseMs).toBeLessThan(FUNCTION_TIMEOUT_MS * 0.75);
  });

  it('keeps region, credentials and endpoint from the standard AWS environment', async () => {
    // Assess: every client reached the endpoint AWS_ENDPOINT_URL names, signing for AWS_REGION with the environment's key.
    expect(received).toHaveLength(Object.keys(COMMANDS).length);
    for (const headers of received) {
      expect(headers.authorization).toMatch(new RegExp(`Credential=AKIAPROBEPROBEPROBE0/\\d{8}/${REGION}/`));
    }
    for (const client of Object.values(clients)) expect(await client.config.region()).toBe(REGION);
  });
});
