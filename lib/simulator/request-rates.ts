/**
 * EC2's request rate: a token bucket per API, for the whole account and Region, on the
 * simulator's clock. EC2 Developer Guide, "Request throttling for the Amazon EC2 API":
 * "Amazon EC2 throttles EC2 API requests for each AWS account on a per-Region basis", "each API
 * is evaluated individually ... Each request that you make removes one token from the API's
 * bucket", and "If you exceed an API throttling limit, you get the RequestLimitExceeded error
 * code". Its table "Request token bucket sizes and refill rates" gives:
 *
 * | API action category | Actions | Bucket maximum capacity | Bucket refill rate |
 * | Non-mutating actions | The Describe*, List*, Search*, and Get* API actions that are not included in another category. | 100 | 20 |
 * | Unfiltered and unpaginated non-mutating actions | DescribeInstances, DescribeInstanceStatus, DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeSnapshots, DescribeSpotInstanceRequests, DescribeVolumes | 50 | 10 |
 *
 * So DescribeInstanceAttribute is a non-mutating action (100 tokens, 20 a second), and
 * DescribeInstances and DescribeInstanceStatus are too, unless "requested without specifying
 * either pagination or a filter": then they "use tokens from a smaller token bucket" (50, 10 a
 * second). FleetFlow reads instances by filter and 1,000 a page, and instance statuses by ID
 * (DescribeInstanceStatus takes no MaxResults beside InstanceIds), which is neither: the small
 * bucket, read literally. The table's uncategorized actions (their own sizes) are none that
 * FleetFlow calls; mutating actions (50, 5; resource tokens for Run/Stop/Start/Terminate) are
 * not modelled here.
 *
 * The bucket refills continuously at its rate (AWS adds the second's tokens at once; the same
 * rate), starts full, and a throttled request takes no token.
 *
 * Stricter than AWS, on purpose: calls in the simulator take no time, so the requests a handler
 * sends without sleeping all arrive at the same virtual instant, and an unpaced burst past the
 * bucket is throttled at once; on AWS each call takes tens of milliseconds, so the same burst
 * runs past the bucket only a second or two later (four calls in flight at 50 ms each are 80 a
 * second against a refill of 20). It is still the right judge: a handler that keeps its burst
 * within the bucket and then paces within the refill rate, by sleeps, is admitted on both, and
 * one that does not is throttled on both, only sooner here.
 */

/** A token bucket's size: its capacity and how many tokens it gains a second. */
export interface BucketSize {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** "Non-mutating actions": 100 tokens, 20 a second. */
export const EC2_NON_MUTATING: BucketSize = { capacity: 100, refillPerSecond: 20 };

/** "Unfiltered and unpaginated non-mutating actions": 50 tokens, 10 a second. */
export const EC2_UNFILTERED_UNPAGINATED: BucketSize = { capacity: 50, refillPerSecond: 10 };

/** The table's "Unfiltered and unpaginated non-mutating actions". */
const UNFILTERED_SUBSET = new Set([
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);

const NON_MUTATING = /^(Describe|List|Search|Get)[A-Z]/;

/** The EC2 bucket a request takes its token from (its key and size); undefined when no modelled bucket applies. */
export function ec2RequestBucket(operation: string, input: Readonly<Record<string, unknown>> = {}): { key: string; size: BucketSize } | undefined {
  if (!NON_MUTATING.test(operation)) return undefined;
  // Pagination is MaxResults or NextToken; a filter is Filters with at least one.
  const paginated = input.MaxResults !== undefined || input.NextToken !== undefined;
  const filtered = Array.isArray(input.Filters) && input.Filters.length > 0;
  if (UNFILTERED_SUBSET.has(operation) && !paginated && !filtered) return { key: `ec2:${operation}:unfiltered`, size: EC2_UNFILTERED_UNPAGINATED };
  return { key: `ec2:${operation}`, size: EC2_NON_MUTATING };
}

/** The account's request buckets, by key: tokens left at the instant last computed. */
export class RequestRates {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes one token from `key`'s bucket at `now` (ms); false, taking none, when it is empty. */
  take(key: string, size: BucketSize, now: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: size.capacity, at: now };
    bucket.tokens = Math.min(size.capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * size.refillPerSecond);
    bucket.at = Math.max(bucket.at, now);
    this.buckets.set(key, bucket);
    // A token accrued in steps of 1/refill seconds may sum to 0.999…: that is a whole token.
    if (bucket.tokens < 1 - 1e-9) return false;
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    return true;
  }

  /** Tokens `key`'s bucket holds at `now` (full when never used). */
  tokens(key: string, size: BucketSize, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket ? Math.min(size.capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * size.refillPerSecond) : size.capacity;
  }
}
