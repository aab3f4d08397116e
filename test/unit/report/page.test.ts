/**
 * The page escapes every string it is given (causes, names and labels come from definitions
 * and executions), fetches nothing, and shows the recovery time's phases for the data workflows.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../lib/report/escape';
import { renderPage, type RunReport } from '../../../lib/report/index';
import type { SimulationReport } from '../../../lib/simulator/simulate';

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
