/**
 * A working network behind mocked ELBv2 and EC2 clients, for the planners' network checks
 * (lambdas/compute/network-checks.ts): each target group on its own load balancer, one
 * listener forwarding to it by default, the load balancer's security group allowed in on
 * every TCP port by any host security group asked about, and all traffic out.
 */
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, type DescribeSecurityGroupsCommandInput } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  type DescribeListenersCommandInput,
  type DescribeLoadBalancersCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsStub } from 'aws-sdk-client-mock';

type Stub = AwsStub<any, any, any>;

export const VPC_ID = 'vpc-0a1b2c3d4e5f60001';
export const VPC_CIDR = '10.0.0.0/16';

/** The load balancer a target group (by ARN) is attached to. */
export const lbArnFor = (targetGroupArn: string) => targetGroupArn.replace(':targetgroup/', ':loadbalancer/app/');
/** The load balancer's security group. */
export const LB_SECURITY_GROUP = 'sg-0bbbbbbbbbbbbbbb1';

export function mockWorkingNetwork(elbMock: Stub, ec2Mock: Stub): void {
  elbMock.on(DescribeLoadBalancersCommand).callsFake((input: DescribeLoadBalancersCommandInput) => ({
    LoadBalancers: (input.LoadBalancerArns ?? []).map((arn) => ({ LoadBalancerArn: arn, VpcId: VPC_ID, SecurityGroups: [LB_SECURITY_GROUP], Type: 'application' })),
  }));
  elbMock.on(DescribeListenersCommand).callsFake((input: DescribeListenersCommandInput) => ({
    Listeners: [
      {
        ListenerArn: `${input.LoadBalancerArn}/listener`,
        LoadBalancerArn: input.LoadBalancerArn,
        Port: 443,
        Protocol: 'HTTPS',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: input.LoadBalancerArn!.replace(':loadbalancer/app/', ':targetgroup/') }],
      },
    ],
  }));
  elbMock.on(DescribeRulesCommand).resolves({ Rules: [] });
  ec2Mock.on(DescribeSecurityGroupsCommand).callsFake((input: DescribeSecurityGroupsCommandInput) => ({
    SecurityGroups: (input.GroupIds ?? []).map((id) =>
      id === LB_SECURITY_GROUP
        ? { GroupId: id, VpcId: VPC_ID, IpPermissions: [], IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }
        : { GroupId: id, VpcId: VPC_ID, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, UserIdGroupPairs: [{ GroupId: LB_SECURITY_GROUP }] }], IpPermissionsEgress: [] },
    ),
  }));
  ec2Mock.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: VPC_ID, CidrBlock: VPC_CIDR, CidrBlockAssociationSet: [{ CidrBlock: VPC_CIDR, CidrBlockState: { State: 'associated' } }] }] });
}
