/**
 * Who is calling: STS GetCallerIdentity, for the approver's name and the account a state
 * machine's ARN is built in.
 *
 * @aws-sdk/client-sts is not installed here (node_modules is shared and nobody may install
 * today), so the one query-protocol call is signed with the SDK's own SigV4 signer, with the
 * SFN client's resolved region, credentials and hash: the same configuration chain (profile,
 * environment, SSO, role) as every other call. When client-sts is added, this module becomes
 * `new STSClient({}).send(new GetCallerIdentityCommand({}))`.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { partitionOf } from './names';

export interface CallerIdentity {
  /** arn:aws:sts::123456789012:assumed-role/Deployer/alice, or an IAM user's ARN. */
  readonly arn: string;
  readonly account: string;
  readonly partition: string;
}

/** An STS error answered as XML (`<Error><Code>…</Code><Message>…</Message></Error>`), named as the SDK names service errors. */
class StsError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

export async function getCallerIdentity(sfn: SFNClient): Promise<CallerIdentity> {
  // Resolving the region first gives the SDK's own "Region is missing" when there is none.
  const region = await sfn.config.region();
  const credentials = await sfn.config.credentials();
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const endpoint = new URL(process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL ?? `https://sts.${region}.${suffix}`);
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: sfn.config.sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: endpoint.pathname,
    query: {},
    headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const response = await fetch(endpoint, { method: 'POST', headers: signed.headers, body }).catch((err: unknown) => {
    // fetch rejects with "fetch failed" and the socket's error (ECONNREFUSED, ENOTFOUND) as its cause.
    throw Object.assign(new Error(`cannot reach STS at ${endpoint.host}`), { code: ((err as Error).cause as { code?: string } | undefined)?.code ?? 'ECONNREFUSED' });
  });
  const text = await response.text();
  if (!response.ok) throw new StsError(tag(text, 'Code') ?? 'UnknownError', tag(text, 'Message') ?? `HTTP ${response.status}`, response.status);
  const arn = tag(text, 'Arn');
  const account = tag(text, 'Account');
  if (!arn || !account) throw new StsError('InvalidResponse', 'GetCallerIdentity answered without Arn and Account', response.status);
  return { arn, account, partition: arn.split(':')[1] ?? partitionOf(region) };
}
