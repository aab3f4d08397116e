/**
 * STS GetCallerIdentity as lib/cli/aws/caller.ts sends it (the SDK's STS client, signed with the Step Functions client's configuration),
 * against a local HTTP server standing in for STS: the request is signed for `sts` with the
 * configured credentials, the answer's Arn and Account are read, STS's XML errors keep their
 * code (so AccessDenied is one line and exit 3), and no endpoint at all is "cannot reach AWS".
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCallerIdentity } from '../../../lib/cli/aws/caller';
import { AwsUnreachableError, refusalOf } from '../../../lib/cli/aws/errors';

const IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:sts::210987654321:assumed-role/Releasers/alice</Arn><UserId>AROAEXAMPLE:alice</UserId><Account>210987654321</Account>
</GetCallerIdentityResult></GetCallerIdentityResponse>`;
const DENIED = `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:GetCallerIdentity</Message></Error></ErrorResponse>`;

let server: Server;
let received: { headers: IncomingMessage['headers']; body: string } | undefined;
let answer: { status: number; body: string };
let saved: NodeJS.ProcessEnv;

beforeEach(async () => {
  saved = { ...process.env };
  received = undefined;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received = { headers: req.headers, body };
      res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_STS = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  process.env = saved;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = () => new SFNClient({ region: 'eu-central-1', credentials: { accessKeyId: 'AKIDCALLERTEST', secretAccessKey: 'secret' } });

describe('getCallerIdentity', () => {
  it('signs a GetCallerIdentity for sts in the region and reads the ARN, account and partition', async () => {
    // Prepare
    answer = { status: 200, body: IDENTITY };

    // Act
    const identity = await getCallerIdentity(client());

    // Assess
    expect(identity).toEqual({ arn: 'arn:aws:sts::210987654321:assumed-role/Releasers/alice', account: '210987654321', partition: 'aws' });
    expect(received!.body).toBe('Action=GetCallerIdentity&Version=2011-06-15');
    expect(received!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDCALLERTEST\/\d{8}\/eu-central-1\/sts\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
  });

  it('keeps STS\'s error code: AccessDenied is refused as access denied, exit 3', async () => {
    // Prepare
    answer = { status: 403, body: DENIED };

    // Act
    const failure = await getCallerIdentity(client()).catch((err: unknown) => err);

    // Assess
    expect((failure as Error).name).toBe('AccessDenied');
    const refusal = refusalOf(failure);
    expect(refusal).toBeInstanceOf(AwsUnreachableError);
    expect(refusal!.message).toBe('access denied by AWS (AccessDenied): not authorized to perform sts:GetCallerIdentity');
  });

  it('an endpoint nobody listens on is "cannot reach AWS"', async () => {
    // Prepare: the server stops listening (afterEach's close then finds it closed).
    await new Promise<void>((resolve) => server.close(() => resolve()));

    // Act
    const failure = await getCallerIdentity(client()).catch((err: unknown) => err);

    // Assess
    expect(refusalOf(failure)?.message).toBe('cannot reach AWS (ECONNREFUSED): check the network, AWS_REGION and AWS_ENDPOINT_URL');
  });
});
