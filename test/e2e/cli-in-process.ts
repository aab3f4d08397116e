/**
 * The CLI's own entry point run in this process: what a person sees (the launcher only hands its
 * arguments to `main`, as test/e2e/cli.test.ts's launcher tests show), without a process start per
 * run. stdout and stderr are captured as the launcher would print them.
 */
import { vi } from 'vitest';
import { main } from '../../lib/cli/main';

export async function fleetflowInProcess(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
