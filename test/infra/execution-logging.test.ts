/**
 * No state machine of the stack logs execution data. Request Approval's parameters carry
 * $$.Task.Token, and with execution data in the logs anyone who can read the log group
 * could answer SendTaskSuccess and approve a release. Checked over every state machine in
 * the template, whatever their number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEnvironment, renderedDefinition, synthesizeCanonical, type CfnResource, type SynthesizedCanonical } from './support';

interface LoggingConfiguration {
  Level?: string;
  IncludeExecutionData?: boolean;
  Destinations?: unknown[];
}

const stateMachines = (synth: SynthesizedCanonical): Array<[string, CfnResource]> =>
  Object.entries(synth.json.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');

describe('state machine execution logs', () => {
  let synth: SynthesizedCanonical;

  beforeAll(() => {
    // Approval on, so the definition holds a task token.
    const environment = canonicalEnvironment();
    environment.validation = { ...environment.validation, approval: { required: true, timeoutSeconds: 3600 } };
    synth = synthesizeCanonical({ environment });
  });
  afterAll(() => synth?.cleanup());

  it('the template has state machines, one of which passes a task token', () => {
    // Assess
    const machines = stateMachines(synth);
    expect(machines.length).toBeGreaterThanOrEqual(1);
    expect(machines.some(([, r]) => renderedDefinition(r, synth.definitions).includes('$$.Task.Token'))).toBe(true);
  });

  it('every state machine logs to a destination without execution data', () => {
    // Act
    const logging = stateMachines(synth).map(([id, r]) => [id, r.Properties?.LoggingConfiguration as LoggingConfiguration | undefined] as const);

    // Assess
    for (const [id, config] of logging) {
      expect(config, `${id} has no LoggingConfiguration`).toBeDefined();
      expect(config!.IncludeExecutionData, `${id} logs execution data`).toBe(false);
      expect(['ALL', 'ERROR', 'FATAL'], `${id} logs at level ${config!.Level}`).toContain(config!.Level);
      expect(config!.Destinations, `${id} logs nowhere`).toHaveLength(1);
    }
  });
});
