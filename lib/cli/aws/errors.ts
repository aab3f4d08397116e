/**
 * How the AWS commands end, and the one line a person sees when AWS cannot be used.
 *
 * Exit codes (documented in docs/operating.md and docs/cli.md):
 *   0  the command did what it says (a started or followed execution succeeded)
 *   1  the workflow failed, was aborted or timed out
 *   2  bad input or configuration the person must fix: refused before any call
 *      (InvalidInputError, printed by main), or no AWS region, or no usable credentials
 *      (AwsConfigurationError; issue 16: "With no region or credentials, it prints one line
 *      and exits 2")
 *   3  AWS could not do it: access denied, no network, throttled past the retries, or any
 *      other refusal by the service
 */
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { boundedMessage } from '../../../lambdas/domain/contract/errors';

export const EXIT_OK = 0;
export const EXIT_WORKFLOW_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_UNREACHABLE = 3;

/** AWS could not be asked: the message says what to grant or check; never a stack trace. Exit 3. */
export class AwsUnreachableError extends Error {
  override readonly name = 'AwsUnreachableError';
}

/** The person's AWS configuration lacks a region or usable credentials: the message says what to set. Exit 2. */
export class AwsConfigurationError extends Error {
  override readonly name = 'AwsConfigurationError';
}

/** The error names of credentials AWS does not accept (SFN and SSM speak JSON, STS speaks query). */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const ACCESS_ERRORS = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'NotAuthorized']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * Names that refuse what the person typed: a state machine, execution or parameter that does not
 * exist, or a task token that is invalid, expired or already answered (SendTaskSuccess: InvalidToken,
 * TaskTimedOut "the task token has either expired or the task associated with the token has already
 * been closed", TaskDoesNotExist). Bad input, exit 2.
 */
const INPUT_ERRORS = new Set(['StateMachineDoesNotExist', 'ExecutionDoesNotExist', 'InvalidArn', 'ParameterNotFound', 'InvalidToken', 'TaskTimedOut', 'TaskDoesNotExist', 'InvalidName', 'InvalidExecutionInput']);

/** The exit code of a refusal that is not bad input: 2 for the person's configuration, 3 for AWS. */
export function exitCodeOf(refusal: AwsConfigurationError | AwsUnreachableError): number {
  return refusal instanceof AwsConfigurationError ? EXIT_BAD_INPUT : EXIT_UNREACHABLE;
}

/**
 * The one-line refusal for an error thrown by an AWS call, or undefined when it is not one of
 * these (a bug: main prints it as such). The SDK's own messages: "Region is missing" (no region
 * configured), CredentialsProviderError ("Could not load credentials from any providers"),
 * AccessDeniedException (IAM refused the action).
 */
export function refusalOf(err: unknown): InvalidInputError | AwsConfigurationError | AwsUnreachableError | undefined {
  if (err instanceof AwsUnreachableError || err instanceof AwsConfigurationError || err instanceof InvalidInputError) return err;
  if (!(err instanceof Error)) return undefined;
  const name = err.name;
  const message = firstLine(err.message);
  const code = String((err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code ?? '');
  if (/Region is missing/i.test(err.message)) {
    return new AwsConfigurationError('no AWS region: set AWS_REGION (or a region in your AWS profile)');
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new AwsConfigurationError(`no usable AWS credentials (${name}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in again`);
  }
  if (ACCESS_ERRORS.has(name)) return new AwsUnreachableError(`access denied by AWS (${name}): ${message}`);
  if (NETWORK_CODES.has(code) || name === 'TimeoutError') {
    return new AwsUnreachableError(`cannot reach AWS (${code || name}): check the network, AWS_REGION and AWS_ENDPOINT_URL`);
  }
  if (INPUT_ERRORS.has(name)) return new InvalidInputError(`${name}: ${message}`);
  // Any other answer of an AWS service (it has $metadata): AWS was reached and refused the call.
  if ((err as { $metadata?: unknown }).$metadata !== undefined) return new AwsUnreachableError(`AWS refused the call (${name}): ${message}`);
  return undefined;
}

function firstLine(text: string): string {
  return boundedMessage(text.split('\n')[0] ?? '', 300);
}
