/**
 * The simulator runs every execution of a definition on one engine state machine, and
 * corrects the local engine's Map to AWS's behaviour: once an iteration fails, the Map
 * fails and starts no further iteration (map-semantics.ts). The correction is per run of
 * a Map, so one failed execution leaves the next execution of the same definition whole.
 */
import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/simulator/definition';
import { simulateDefinition } from '../../lib/simulator/simulate';

/** A Map over `$.items`, one at a time: an item `fail` fails its iteration, any other passes. */
const oneAtATime: AslDefinition = {
  StartAt: 'Each Item',
  States: {
    'Each Item': {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      ItemProcessor: {
        StartAt: 'Fails?',
        States: {
          'Fails?': { Type: 'Choice', Choices: [{ Variable: '$', StringEquals: 'fail', Next: 'Item Failed' }], Default: 'Item Done' },
          'Item Failed': { Type: 'Fail', Error: 'ItemFailed', Cause: 'this item fails' },
          'Item Done': { Type: 'Pass', End: true },
        },
      },
      End: true,
    },
  },
};

const entered = (events: Awaited<ReturnType<typeof simulateDefinition>>['events'], state: string) =>
  events.filter((e) => e.type === 'StateEntered' && e.state?.name === state).length;

describe('the engine the simulator runs definitions on', () => {
  it('starts no further iteration of a Map once one fails, and fails the Map', async () => {
    const { result, events } = await simulateDefinition(oneAtATime, { items: ['ok', 'fail', 'ok', 'ok'] });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ItemFailed');
    expect(entered(events, 'Fails?')).toBe(2);
  });

  it('runs the next execution of the same definition whole after one failed', async () => {
    await simulateDefinition(oneAtATime, { items: ['fail', 'ok'] });

    const { result, events } = await simulateDefinition(oneAtATime, { items: ['ok', 'ok', 'ok'] });

    expect(result.status).toBe('SUCCEEDED');
    expect(entered(events, 'Item Done')).toBe(3);
  });

  it('runs the same Map again in a later run after one of its runs failed', async () => {
    // The same Map state runs again after its first run failed (caught), over other items.
    const { ItemProcessor } = oneAtATime.States['Each Item']!;
    const twice: AslDefinition = {
      StartAt: 'Each Item',
      States: {
        'Each Item': {
          Type: 'Map', ItemsPath: '$.items', MaxConcurrency: 1, ItemProcessor, ResultPath: null,
          Catch: [{ ErrorEquals: ['ItemFailed'], ResultPath: '$.caught', Next: 'Other Items' }],
          Next: 'Done',
        },
        'Other Items': { Type: 'Pass', Parameters: { 'items.$': '$.again' }, Next: 'Each Item' },
        Done: { Type: 'Succeed' },
      },
    };

    const { result, events } = await simulateDefinition(twice, { items: ['fail', 'ok'], again: ['ok', 'ok'] });

    expect(result.status).toBe('SUCCEEDED');
    expect(entered(events, 'Item Done')).toBe(2);
  });
});
