import { describe, expect, it } from 'vitest';
import { describeHosts, describeList, nextPollSeconds } from '../../lambdas/shared/polling';

const bounds = { minSeconds: 2, maxSeconds: 30 };

describe('nextPollSeconds', () => {
  it('polls at the minimum right after an operation starts', () => {
    // Act
    const seconds = nextPollSeconds(0, bounds);

    // Assess
    expect(seconds).toBe(2);
  });

  it('grows the pause to 5% of the time already spent, rounded up', () => {
    // Act
    const after100s = nextPollSeconds(100_000, bounds);
    const after201s = nextPollSeconds(201_000, bounds);
    const after400s = nextPollSeconds(400_000, bounds);

    // Assess
    expect(after100s).toBe(5);
    expect(after201s).toBe(11);
    expect(after400s).toBe(20);
  });

  it('never pauses longer than the maximum however long the operation has run', () => {
    // Act
    const seconds = nextPollSeconds(10 * 3600_000, bounds);

    // Assess
    expect(seconds).toBe(30);
  });

  it('never pauses less than the minimum early on', () => {
    // Act
    const seconds = nextPollSeconds(10_000, { minSeconds: 7, maxSeconds: 30 });

    // Assess
    expect(seconds).toBe(7);
  });

  it('shortens the pause so the check after the deadline comes promptly', () => {
    // Act
    const seconds = nextPollSeconds(600_000, bounds, 4_200);

    // Assess
    expect(seconds).toBe(5);
  });

  it('does not go below the minimum pause when the deadline is closer than that', () => {
    // Act
    const seconds = nextPollSeconds(600_000, { minSeconds: 3, maxSeconds: 30 }, 500);

    // Assess
    expect(seconds).toBe(3);
  });

  it('always pauses at least one second', () => {
    // Act
    const seconds = nextPollSeconds(0, { minSeconds: 1, maxSeconds: 1 }, 0);

    // Assess
    expect(seconds).toBe(1);
  });

  it.each([0, 1_000, 59_000, 600_000, 3_600_000, 86_400_000])('stays within the bounds after %i ms', (elapsedMs) => {
    // Act
    const seconds = nextPollSeconds(elapsedMs, bounds);

    // Assess
    expect(seconds).toBeGreaterThanOrEqual(bounds.minSeconds);
    expect(seconds).toBeLessThanOrEqual(bounds.maxSeconds);
  });
});

describe('describeHosts', () => {
  it('names each host by Name tag and instance ID', () => {
    // Act
    const text = describeHosts([
      { id: 'i-0123', name: 'web-1' },
      { id: 'i-0456', name: 'web-2' },
    ]);

    // Assess
    expect(text).toBe('web-1 (i-0123), web-2 (i-0456)');
  });

  it('shows the instance ID alone when the host has no distinct name', () => {
    // Act
    const text = describeHosts([
      { id: 'i-0123', name: 'i-0123' },
      { id: 'i-0456', name: '' },
    ]);

    // Assess
    expect(text).toBe('i-0123, i-0456');
  });

  it('names the first 5 hosts of a 2,000-host batch and counts the rest', () => {
    // Prepare
    const hosts = Array.from({ length: 2_000 }, (_, i) => ({ id: `i-0${i + 1}`, name: `web-${i + 1}` }));

    // Act
    const text = describeHosts(hosts);

    // Assess
    expect(text).toBe('web-1 (i-01), web-2 (i-02), web-3 (i-03), web-4 (i-04), web-5 (i-05) and 1,995 more');
  });

  it('names exactly 5 hosts without a count', () => {
    // Act
    const text = describeHosts(Array.from({ length: 5 }, (_, i) => ({ id: `i-0${i + 1}`, name: '' })));

    // Assess
    expect(text).toBe('i-01, i-02, i-03, i-04, i-05');
  });
});

describe('describeList', () => {
  it('joins a few items with the separator and counts the rest with thousands separators', () => {
    // Act
    const text = describeList(
      Array.from({ length: 12_345 }, (_, i) => `alarm-${i}`),
      { max: 2, separator: '; ' },
    );

    // Assess
    expect(text).toBe('alarm-0; alarm-1 and 12,343 more');
  });
});
