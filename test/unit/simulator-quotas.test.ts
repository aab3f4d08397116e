/**
 * The simulator fails an execution at Step Functions' quotas the way AWS does: the
 * execution ends FAILED and no Catch runs (States.ALL catches neither
 * States.DataLimitExceeded nor States.Runtime).
 */
import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/simulator/definition';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../../lib/simulator/history';
import { simulateDefinition } from '../../lib/simulator/simulate';

/** A Parallel whose one branch is `branch`, with a Catch that would record that it ran. */
function guarded(branch: AslDefinition): AslDefinition {
  return {
    StartAt: 'Guarded',
    States: {
      Guarded: {
        Type: 'Parallel',
        Branches: [branch],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', Result: 'the catch ran', End: true },
    },
  };
}

describe('the simulator at Step Functions quotas', () => {
  it(`fails an execution past ${MAX_HISTORY_EVENTS} history events, with no Catch run`, async () => {
    // Prepare: a loop of Pass and Choice that never ends (4 events per round).
    const loop: AslDefinition = {
      StartAt: 'Count',
      States: {
        Count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Again?' },
        'Again?': { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: -1, Next: 'Count' }], Default: 'Stop' },
        // Never reached (n only grows); the validator wants a way out.
        Stop: { Type: 'Succeed' },
      },
    };

    // Act
    const { result, events, figures } = await simulateDefinition(guarded(loop), { n: 0 });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toContain('maximum number of history events');
    expect(figures.historyEvents).toBeGreaterThan(MAX_HISTORY_EVENTS);
    expect(figures.historyEvents).toBeLessThan(MAX_HISTORY_EVENTS + 10);
    expect(events.some((e) => e.type === 'StateEntered' && e.state?.name === 'Caught')).toBe(false);
  });

  it(`fails a state whose output exceeds ${MAX_PAYLOAD_BYTES} bytes with States.DataLimitExceeded, with no Catch run`, async () => {
    // Prepare: each step doubles the state, from about 5 KB.
    const states: AslDefinition['States'] = {
      Seed: { Type: 'Pass', Parameters: { 'a.$': 'States.ArrayRange(1000, 1999, 1)' }, Next: 'Double 1' },
    };
    for (let i = 1; i <= 7; i += 1) {
      states[`Double ${i}`] = { Type: 'Pass', Parameters: { 'a.$': '$', 'b.$': '$' }, ...(i < 7 ? { Next: `Double ${i + 1}` } : { End: true }) };
    }

    // Act
    const { result, events, figures } = await simulateDefinition(guarded({ StartAt: 'Seed', States: states }), {});

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(figures.largestPayloadBytes).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(events.some((e) => e.type === 'StateEntered' && e.state?.name === 'Double 7')).toBe(false);
    expect(events.some((e) => e.type === 'StateEntered' && e.state?.name === 'Caught')).toBe(false);
  });

  it('runs the same definitions to completion when they stay inside the quotas', async () => {
    const short: AslDefinition = { StartAt: 'Once', States: { Once: { Type: 'Pass', Result: { ok: true }, End: true } } };
    const { result, figures } = await simulateDefinition(guarded(short), {});
    expect(result.status).toBe('SUCCEEDED');
    expect(figures.historyEvents).toBeLessThan(20);
  });
});
