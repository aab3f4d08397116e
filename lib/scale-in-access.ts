/**
 * Least privilege for Plan Scale In, which only reads: the tier's instances (DescribeInstances),
 * its target groups by name (DescribeTargetGroups) and their deregistration delay
 * (DescribeTargetGroupAttributes), which hosts fail their health checks (DescribeTargetHealth,
 * DescribeInstanceStatus: lambdas/compute/host-health.ts), the chosen hosts' stop and termination
 * protection (DescribeInstanceAttribute: retire-guards.ts), and writes its own plan items. It stops or
 * terminates nothing: the rollout's Retire Hosts does, and may only on instances carrying a
 * tier's tags, by the tier's `retire` policy (lib/compute-access.ts).
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { FleetFlowFunction } from './constructs/fleetflow-function';

const WHY_DESCRIBE =
  'ec2:DescribeInstances/DescribeInstanceStatus/DescribeInstanceAttribute and elasticloadbalancing:DescribeTargetGroups/DescribeTargetGroupAttributes/DescribeTargetHealth support no resource-level permissions';

export function grantScaleInAccess(planScaleIn: FleetFlowFunction, planTable: dynamodb.ITable): void {
  // DescribeTargetGroupAttributes: the deregistration delay its retire batches drain by (lambdas/compute/retire-traffic.ts);
  // DescribeTargetHealth, DescribeInstanceStatus: the hosts already failing their health checks, chosen first (host-health.ts);
  // DescribeInstanceAttribute: the chosen hosts' stop and termination protection (retire-guards.ts).
  planScaleIn.allow({
    actions: [
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceStatus',
      'ec2:DescribeInstanceAttribute',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetHealth',
    ],
    resources: ['*'],
    wildcardReason: WHY_DESCRIBE,
  });
  planScaleIn.allow({ actions: ['dynamodb:BatchWriteItem'], resources: [planTable.tableArn] });
  planScaleIn.function.addEnvironment('PLAN_TABLE', planTable.tableName);
}
