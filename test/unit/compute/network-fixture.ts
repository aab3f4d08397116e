/**
 * A working network behind mocked ELBv2 and EC2 clients, for the planners' network checks
 * (lambdas/compute/network-checks.ts): each target group on its own load balancer, one
 * listener forwarding to it by default, the load balancer's security group allowed in on
 * every TCP port by any host security group asked about, and all traffic out; the HTTPS
 * listener's one ACM certificate ISSUED for CERTIFICATE_NAMES and 200 more days, and every
 * record asked of Route 53 an A alias of the load balancer ("dualstack." and a trailing dot,
 * as Route 53 answers an ELB alias).
 */
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand, type DescribeSecurityGroupsCommandInput } from '@aws-sdk/client-ec2';
import {
  DescribeListenerCertificatesCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  type DescribeListenerCertificatesCommandInput,
  type DescribeListenersCommandInput,
  type DescribeLoadBalancersCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ACMClient, DescribeCertificateCommand, type DescribeCertificateCommandInput } from '@aws-sdk/client-acm';
import { ListResourceRecordSetsCommand, Route53Client, type ListResourceRecordSetsCommandInput } from '@aws-sdk/client-route-53';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

type Stub = AwsStub<any, any, any>;

export const VPC_ID = 'vpc-0a1b2c3d4e5f60001';
export const VPC_CIDR = '10.0.0.0/16';

/** The load balancer a target group (by ARN) is attached to. */
export const lbArnFor = (targetGroupArn: string) => targetGroupArn.replace(':targetgroup/', ':loadbalancer/app/');
/** The load balancer's security group. */
export const LB_SECURITY_GROUP = 'sg-0bbbbbbbbbbbbbbb1';

/** ACM and Route 53 mocked for every test that imports the fixture (aws-sdk-client-mock stubs each client class). */
export const acmMock = mockClient(ACMClient);
export const route53Mock = mockClient(Route53Client);

/** The names the fixture's certificates cover: canonical.json's web tier declares these (traffic.domain.names). */
export const CERTIFICATE_NAMES = ['shop.example.com', '*.shop.example.com'];
/** The load balancer's DNS name, as DescribeLoadBalancers answers it. */
export const lbDnsFor = (loadBalancerArn: string) => `${loadBalancerArn.split('/').slice(-2).join('-')}.us-east-1.elb.amazonaws.com`;
/** The listener's certificate. */
export const certificateArnFor = (listenerArn: string) => `arn:aws:acm:us-east-1:111122223333:certificate/${listenerArn.length.toString().padStart(8, '0')}-0000-4000-8000-000000000001`;
const DAY_MS = 24 * 3600 * 1000;

export function mockWorkingNetwork(elbMock: Stub, ec2Mock: Stub): void {
  acmMock.reset();
  route53Mock.reset();
  // The record aliases the load balancer the check described (the tier's).
  let described: string | undefined;
  elbMock.on(DescribeLoadBalancersCommand).callsFake((input: DescribeLoadBalancersCommandInput) => {
    described = input.LoadBalancerArns?.[0] ?? described;
    return {
      LoadBalancers: (input.LoadBalancerArns ?? []).map((arn) => ({ LoadBalancerArn: arn, VpcId: VPC_ID, SecurityGroups: [LB_SECURITY_GROUP], Type: 'application', DNSName: lbDnsFor(arn) })),
    };
  });
  elbMock.on(DescribeListenerCertificatesCommand).callsFake((input: DescribeListenerCertificatesCommandInput) => ({
    Certificates: [{ CertificateArn: certificateArnFor(input.ListenerArn!), IsDefault: true }],
  }));
  acmMock.on(DescribeCertificateCommand).callsFake((input: DescribeCertificateCommandInput) => ({
    Certificate: {
      CertificateArn: input.CertificateArn,
      Status: 'ISSUED',
      DomainName: CERTIFICATE_NAMES[0],
      SubjectAlternativeNames: CERTIFICATE_NAMES,
      NotAfter: new Date(Date.now() + 200 * DAY_MS),
    },
  }));
  route53Mock.on(ListResourceRecordSetsCommand).callsFake((input: ListResourceRecordSetsCommandInput) => ({
    ResourceRecordSets: [
      {
        Name: `${input.StartRecordName}.`,
        Type: 'A',
        AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: `dualstack.${lbDnsFor(described ?? 'arn:none/none')}.`, EvaluateTargetHealth: true },
      },
    ],
    IsTruncated: false,
    MaxItems: input.MaxItems,
  }));
  elbMock.on(DescribeListenersCommand).callsFake((input: DescribeListenersCommandInput) => {
    // Also here: a test may answer DescribeLoadBalancers itself.
    described ??= input.LoadBalancerArn;
    return {
    Listeners: [
      {
        ListenerArn: `${input.LoadBalancerArn}/listener`,
        LoadBalancerArn: input.LoadBalancerArn,
        Port: 443,
        Protocol: 'HTTPS',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: input.LoadBalancerArn!.replace(':loadbalancer/app/', ':targetgroup/') }],
      },
    ],
  };
  });
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
