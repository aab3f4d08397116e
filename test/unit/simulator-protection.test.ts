/**
 * The simulated EC2's stop and termination protection and Auto Scaling membership, seeded by the
 * `protected:HOST[@stop|@terminate]` and `asg:HOST` faults: DescribeInstanceAttribute answers them,
 * and StopInstances / TerminateInstances refuse a protected instance as EC2 does (OperationNotPermitted).
 */
import { describe, expect, it } from 'vitest';
import { InvalidFaultError, parseFaults } from '../../lib/simulator/faults';
import { call, refusal, seedWithFaults } from './simulated-calls';

const hostNamed = (account: ReturnType<typeof seedWithFaults>, name: string) => [...account.hosts.values()].find((h) => h.name === name)!;

describe('simulated EC2: stop and termination protection', () => {
  it('answers DescribeInstanceAttribute for each protection, one attribute of one instance a call', () => {
    const account = seedWithFaults(['protected:web-1@stop', 'protected:web-2']);
    const [web1, web2] = [hostNamed(account, 'web-1'), hostNamed(account, 'web-2')];
    const ask = (id: string, Attribute: string) => call(account, 'ec2', 'DescribeInstanceAttribute', { InstanceId: id, Attribute });

    expect(ask(web1.id, 'disableApiStop')).toEqual({ InstanceId: web1.id, DisableApiStop: { Value: true } });
    expect(ask(web1.id, 'disableApiTermination')).toEqual({ InstanceId: web1.id, DisableApiTermination: { Value: false } });
    expect(ask(web2.id, 'disableApiTermination')).toEqual({ InstanceId: web2.id, DisableApiTermination: { Value: true } });
    expect(refusal(() => call(account, 'ec2', 'DescribeInstanceAttribute', { InstanceId: web1.id })).name).toBe('MissingParameter');
    expect(refusal(() => ask(web1.id, 'colour')).name).toBe('InvalidParameterValue');
    expect(refusal(() => ask('i-0000000000000dead', 'disableApiStop')).name).toBe('InvalidInstanceID.NotFound');
  });

  it('refuses StopInstances on an instance with stop protection, stopping none of the call', () => {
    const account = seedWithFaults(['protected:web-1@stop']);
    const [web1, web2] = [hostNamed(account, 'web-1'), hostNamed(account, 'web-2')];

    const err = refusal(() => call(account, 'ec2', 'StopInstances', { InstanceIds: [web2.id, web1.id] }));

    expect({ name: err.name, message: err.message }).toEqual({
      name: 'OperationNotPermitted',
      message: `The instance '${web1.id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
    });
    expect([web1.state, web2.state]).toEqual(['running', 'running']);
    // Termination protection alone does not stop a stop.
    const other = seedWithFaults(['protected:web-1@terminate']);
    expect(call(other, 'ec2', 'StopInstances', { InstanceIds: [hostNamed(other, 'web-1').id] }).StoppingInstances[0].CurrentState.Name).toBe('stopping');
  });

  it('refuses TerminateInstances on a protected instance, terminating only those in zones with none protected', () => {
    // Canonical's web-1 and web-2 are in different zones; mid-1 shares web-1's.
    const account = seedWithFaults(['protected:web-1@terminate']);
    const [web1, web2, mid1] = [hostNamed(account, 'web-1'), hostNamed(account, 'web-2'), hostNamed(account, 'mid-1')];
    expect(web1.availabilityZone).not.toBe(web2.availabilityZone);
    expect(mid1.availabilityZone).toBe(web1.availabilityZone);

    const err = refusal(() => call(account, 'ec2', 'TerminateInstances', { InstanceIds: [web1.id, web2.id, mid1.id] }));

    expect(err.name).toBe('OperationNotPermitted');
    expect(err.message).toBe(`The instance '${web1.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
    expect([web1.state, mid1.state, web2.state]).toEqual(['running', 'running', 'shutting-down']);
  });

  it('takes stop protection as blocking termination too', () => {
    const account = seedWithFaults(['protected:web-1@stop']);
    const web1 = hostNamed(account, 'web-1');

    const err = refusal(() => call(account, 'ec2', 'TerminateInstances', { InstanceIds: [web1.id] }));

    expect(err.name).toBe('OperationNotPermitted');
    expect(err.message).toContain("Modify its 'disableApiStop' instance attribute");
    expect(web1.state).toBe('running');
  });
});

describe('the protected and asg faults', () => {
  it('tags a member of an Auto Scaling group as EC2 Auto Scaling does, seen by DescribeInstances', () => {
    const account = seedWithFaults(['asg:web-2']);
    const { Reservations } = call(account, 'ec2', 'DescribeInstances', { Filters: [{ Name: 'tag-key', Values: ['aws:autoscaling:groupName'] }] });

    expect(Reservations).toHaveLength(1);
    expect(Reservations[0].Instances[0].InstanceId).toBe(hostNamed(account, 'web-2').id);
    expect(Reservations[0].Instances[0].Tags).toContainEqual({ Key: 'aws:autoscaling:groupName', Value: 'web-asg' });
  });

  it.each([
    ['protected:web-9', /no simulated host is named "web-9"/],
    ['protected:web-1@reboot', /use protected:HOST, protected:HOST@stop or protected:HOST@terminate/],
    ['asg:web-1@stop', /use asg:HOST/],
  ])('refuses %s in one line', (spec, message) => {
    const act = () => parseFaults([spec], new Set(['web-1', 'web-2']), new Set());
    expect(act).toThrow(InvalidFaultError);
    expect(act).toThrow(message);
  });
});
