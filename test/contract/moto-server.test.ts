/**
 * The contract test's emulator harness: a missing interpreter or a missing moto fails with
 * what to install (never a skip), and no server outlives the process that started it.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startMoto } from './moto-server';

/** Bounded wait for a condition polled every 100 ms. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('starting moto for the contract test', () => {
  it('fails saying what to install when the interpreter is not on PATH', async () => {
    // Act
    const started = startMoto({ python: 'python3-fleetflow-missing' });

    // Assess
    await expect(started).rejects.toThrow("python3-fleetflow-missing was not found on PATH: the contract test needs python3 with moto 5.2.1 and its server extras: pip install 'moto[server]==5.2.1'");
  });

  it('fails saying what to install when the interpreter has no moto', async () => {
    // Act: -S leaves site-packages, where moto lives, off the path.
    const started = startMoto({ pythonArgs: ['-S'] });

    // Assess
    await expect(started).rejects.toThrow("python3 has no module moto: the contract test needs python3 with moto 5.2.1 and its server extras: pip install 'moto[server]==5.2.1'");
  });

  it('stops a server whose starting process was killed without running any hook', async () => {
    // Prepare: a Node process starts moto, prints the server's pid, and is then SIGKILLed.
    const script = [
      "import { startMoto } from './test/contract/moto-server.ts';",
      'const moto = await startMoto();',
      'console.log(`SERVER ${moto.pid} ${moto.endpoint}`);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    parent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const announced = await until(() => /SERVER \d+/.test(output), 60_000);
    const pid = Number(/SERVER (\d+)/.exec(output)?.[1]);

    // Act
    parent.kill('SIGKILL');
    const gone = await until(() => !alive(pid), 10_000);
    // Whatever the outcome, nothing of this test keeps running.
    if (pid && !gone) process.kill(pid, 'SIGKILL');

    // Assess
    expect(announced).toBe(true);
    expect(gone).toBe(true);
  });
});
