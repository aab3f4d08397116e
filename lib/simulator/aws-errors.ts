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
};
