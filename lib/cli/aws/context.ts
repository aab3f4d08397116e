/**
 * What the AWS commands need from the outside: the SDK clients, the caller's identity, a
 * clock and where lines go. The commands build the real one; tests pass clients that
 * aws-sdk-client-mock answers, a fixed identity and a clock that does not wait.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { getCallerIdentity, type CallerIdentity } from './caller';

export interface AwsContext {
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  /** STS GetCallerIdentity of the configured credentials. */
  caller(): Promise<CallerIdentity>;
  /** The region the clients call (the SDK's "Region is missing" when none is configured). */
  region(): Promise<string>;
  sleep(ms: number): Promise<void>;
  now(): Date;
  /** A line for the person (stdout). */
  out(line: string): void;
  /** A line about the command itself (stderr). */
  err(line: string): void;
  /** Between two looks at a running execution. */
  readonly pollMs: number;
}

/** Between two looks at a running execution: a release takes minutes to hours, and every look is a few API calls counted against the account's Step Functions throttling. */
const POLL_MS = 5_000;

/**
 * The standard AWS configuration (AWS_REGION, AWS_PROFILE, credentials, AWS_ENDPOINT_URL); in
 * `region` when the command's input names one (an execution's ARN).
 */
export function defaultContext(region?: string): AwsContext {
  const inRegion = region === undefined ? {} : { region };
  // A --wait runs for hours: a throttled look is retried (the SDK's backoff) rather than ending the watch.
  const sfn = new SFNClient({ maxAttempts: 8, ...inRegion });
  const ssm = new SSMClient({ ...inRegion });
  let identity: Promise<CallerIdentity> | undefined;
  return {
    sfn,
    ssm,
    caller: () => (identity ??= getCallerIdentity(sfn)),
    region: () => sfn.config.region(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    pollMs: POLL_MS,
  };
}
