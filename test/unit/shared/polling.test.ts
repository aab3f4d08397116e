import { describe, expect, it } from 'vitest';
import { describeHosts, describeList } from '../../../lambdas/shared/polling';

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
