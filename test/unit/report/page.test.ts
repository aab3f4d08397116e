/**
 * The page escapes every string it is given (causes, names and labels come from definitions
 * and executions), fetches nothing, and shows the recovery time's phases for the data workflows.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../lib/report/escape';
import { renderPage, type RunReport } from '../../../lib/report/index';
import { wholeRun, type SimulationReport } from '../../../lib/simulator/simulate';

const HOSTILE = '<script>alert("x")</script>&\'';

function report(overrides: Partial<SimulationReport> = {}): SimulationReport {
  return {
    status: 'FAILED',
    error: 'PatchFailedError',
    cause: `install failed on ${HOSTILE}`,
    environment: `env${HOSTILE}`,
    release: '1.1.0',
    executionName: 'sim-1',
    hosts: [],
    minInService: { web: 1 },
    minHealthyRequired: { web: 1 },
    makespanSeconds: 100,
    lowerBoundSeconds: 80,
    stateTransitions: 10,
    rolledBack: false,
    workflow: 'deploy',
    timeline: {
      phases: [{ tier: `web${HOSTILE}`, batch: 1, batches: 1, direction: 'forward', revert: false, phase: 'install', start: 10, end: 40, hosts: 1, hostNames: HOSTILE, failure: { error: 'PatchFailedError', cause: HOSTILE } }],
      steps: [
        { name: 'roll out', level: 0, start: 0, end: 60, failure: { error: 'PatchFailedError', cause: HOSTILE } },
        { name: 'restore database', level: 0, start: 60, end: 90 },
      ],
      inService: [{ tier: `web${HOSTILE}`, floor: 1, points: [[0, 2], [10, 1], [40, 2]], changePoints: 3, downsampled: false }],
      bounds: { maxPhases: 5000, maxSteps: 500, maxPointsPerTier: 500, phasesOmitted: 0, stepsOmitted: 0 },
    },
    ...overrides,
  } as unknown as SimulationReport;
}

describe('escapeHtml', () => {
  it('escapes the five characters that end text or an attribute', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });
});

describe('renderPage', () => {
  it('puts no given string in the page unescaped, and no script anywhere', () => {
    const html = renderPage(report());

    expect(html).not.toContain('<script');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(escapeHtml(HOSTILE));
  });

  it('shows the recovery phases for restore-data, and not for a release', () => {
    const restore = renderPage(report({ workflow: 'restore-data', status: 'SUCCEEDED', recoveryTimeSeconds: 90 } as Partial<SimulationReport>));
    const release = renderPage(report());

    expect(restore).toContain('<h2>Recovery time</h2>');
    expect(restore).toContain('recovery time 00:01:30');
    expect(restore).toMatch(/restore database: 00:00:30/);
    expect(release).not.toContain('Recovery time');
  });

  it('draws a run read from AWS without the figures it lacks, and says so', () => {
    const fromAws = { ...report({ workflow: 'restore-data', status: 'SUCCEEDED' } as Partial<SimulationReport>), source: 'aws', lowerBoundSeconds: undefined, stateTransitions: undefined, timeline: { ...report().timeline, inService: [] }, omitted: ['no in-service counts in a history'] };

    const html = renderPage(fromAws as RunReport);

    expect(html).toContain('<p>execution sim-1; time 00:01:40</p>');
    expect(html).not.toMatch(/virtual time|state transitions|lower bound|undefined/);
    expect(html).toContain('<p class="omitted">no in-service counts in a history</p>');
    expect(html).toContain('<p class="omitted">Not measured for this run.</p>');
    // Succeeded, with no recovery time measured: not called "not recovered".
    expect(html).toContain('<p>SUCCEEDED after 00:01:40</p>');
  });
});

describe('the page of a restarted run (restart:SECONDS)', () => {
  // The stopped execution: started at T, stopped at +60 s in its install; the one started again at +120 s, done at +300 s.
  const T = Date.UTC(2026, 0, 6, 3);
  const phase = (tier: string, name: string, start: number, end: number) => ({ tier, batch: 1, batches: 1, direction: 'forward', revert: false, phase: name, start, end, hosts: 1, hostNames: `${tier}-3` });
  const timeline = (phases: object[], steps: object[], inService: object[]) => ({
    phases,
    steps,
    inService,
    bounds: { maxPhases: 2000, maxSteps: 500, maxPointsPerTier: 500, phasesOmitted: 0, stepsOmitted: 0 },
  });
  const stopped = report({
    status: 'ABORTED',
    error: undefined,
    cause: undefined,
    environment: 'canonical',
    executionName: 'sim-1',
    workflow: 'scale-out',
    makespanSeconds: 60,
    timeline: timeline(
      [phase('web', 'set up', 20, 60)],
      [{ name: 'plan', level: 0, start: 0, end: 0 }, { name: 'launch hosts', level: 0, start: 0, end: 60 }],
      // One recorder for the whole run: the first report's series already runs to the run's end.
      [{ tier: 'web', floor: 2, points: [[0, 2], [290, 3]], changePoints: 2, downsampled: false }],
    ),
  } as unknown as Partial<SimulationReport>);
  const again = report({
    status: 'SUCCEEDED',
    error: undefined,
    cause: undefined,
    environment: 'canonical',
    executionName: 'sim-1-again',
    workflow: 'scale-out',
    makespanSeconds: 180,
    timeline: timeline(
      [phase('web', 'install', 100, 170)],
      [{ name: 'plan', level: 0, start: 0, end: 0 }, { name: 'launch hosts', level: 0, start: 0, end: 100 }],
      [{ tier: 'web', floor: 2, points: [[0, 2], [170, 3]], changePoints: 2, downsampled: false }],
    ),
  } as unknown as Partial<SimulationReport>);
  const events = (from: number, to: number) => [{ type: 'ExecutionStarted', timestamp: T + from * 1000 }, { type: 'ExecutionEnded', timestamp: T + to * 1000 }];

  it('draws both executions on the first start\'s clock, the stop and the start again between them, and names both', () => {
    const whole = wholeRun([stopped, again], [events(0, 60), events(120, 300)], 60);

    // The stopped execution's work where it was, the second's moved by its start (120 s), the pause as a step.
    expect(whole.timeline.phases.map((p) => [p.phase, p.start, p.end])).toEqual([['set up', 20, 60], ['install', 220, 290]]);
    expect(whole.timeline.steps.map((s) => [s.name, s.start, s.end])).toEqual([
      ['plan', 0, 0],
      ['launch hosts', 0, 60],
      ['stopped (StopExecution), started again as sim-1-again', 60, 120],
      ['plan', 120, 120],
      ['launch hosts', 120, 220],
    ]);
    expect(whole.timeline.inService).toEqual(stopped.timeline.inService);
    expect(whole.makespanSeconds).toBe(300);

    const html = renderPage(whole);
    expect(html).toContain('<p>executions sim-1 and sim-1-again; virtual time 00:05:00');
    expect(html).toContain('sim-1 was stopped at 00:01:00 (StopExecution, restart:60) and started again as sim-1-again at 00:02:00 with the same input');
    // Each execution's phase is drawn, the first's where it happened.
    expect(html).toContain('web batch 1/1 set up (web-3) 00:00:20-00:01:00');
    expect(html).toContain('web batch 1/1 install (web-3) 00:03:40-00:04:50');
  });

  it('says a restart after the end was not applied, and draws the one execution as it was', () => {
    const only = wholeRun([again], [events(0, 180)], 600);

    expect(only.timeline).toEqual(again.timeline);
    const html = renderPage(only);
    expect(html).toContain('<p>execution sim-1-again;');
    expect(html).toContain('restart:600 not applied: the execution had ended');
  });
});
