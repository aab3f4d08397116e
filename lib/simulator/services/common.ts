/**
 * Request checks and paging every simulated service shares.
 */
import type { SimulatedAccount } from '../account';
import { validation } from '../aws-errors';

// Requests arrive as the SDK serializes them: any shape, checked by each operation.
export type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Operation = (account: SimulatedAccount, input: Input) => object;

/** A numeric request parameter outside the range the API documents. */
export function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (value < min || value > max)) throw validation(`${name} must be between ${min} and ${max} (received ${value})`);
}

export function paginate<T>(items: readonly T[], token: string | undefined, pageSize: number): { page: T[]; next?: string } {
  const start = token ? Number.parseInt(token, 10) : 0;
  if (!Number.isInteger(start) || start < 0) throw validation('The NextToken is invalid');
  const end = start + pageSize;
  return { page: items.slice(start, end), next: end < items.length ? String(end) : undefined };
}
