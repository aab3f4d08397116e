/**
 * Errors shaped like the SDK's service exceptions, so the real SDK retry strategy and
 * the real handlers treat them exactly as they would an AWS response.
 */
export class SimulatedServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId: string };
  readonly $retryable?: { throttling: boolean };

  constructor(name: string, message: string, options: { status?: number; throttling?: boolean } = {}) {
    super(message);
    this.name = name;
    const status = options.status ?? 400;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId: 'simulated' };
    if (options.throttling) this.$retryable = { throttling: true };
  }
}

export const validation = (message: string) => new SimulatedServiceError('ValidationException', message);

/** The error code each service returns when it throttles a caller. */
export const THROTTLING_ERROR_BY_SERVICE: Record<string, string> = {
  ec2: 'RequestLimitExceeded',
  elbv2: 'Throttling',
  ssm: 'ThrottlingException',
  cloudwatch: 'Throttling',
  rds: 'Throttling',
  dynamodb: 'ThrottlingException',
  acm: 'ThrottlingException',
  route53: 'Throttling',
  events: 'ThrottlingException',
  secretsmanager: 'ThrottlingException',
};

/** The simulated account's ID: in ARNs, owner IDs, and the messages AWS puts it in. */
export const SIM_ACCOUNT_ID = '123456789012';

/** EC2's and RDS's refusal of a parameter value (HTTP 400). */
export const invalidParameterValue = (message: string) => new SimulatedServiceError('InvalidParameterValue', message);
/** EC2's and RDS's refusal of parameters that cannot go together (HTTP 400). */
export const invalidParameterCombination = (message: string) => new SimulatedServiceError('InvalidParameterCombination', message);
/** A required parameter left out, as EC2 and RDS word it. */
export const missingParameter = (name: string) => new SimulatedServiceError('MissingParameter', `The request must contain the parameter ${name}`);
