/**
 * Connects the Lambda handlers' own SDK clients to the simulated account. A middleware
 * placed in the deserialize step answers each call from the simulator instead of
 * sending it over HTTP; everything before it (parameter serialization, signing, the
 * SDK's retry strategy with its backoff on the virtual clock) runs for real. A call from an
 * invocation Lambda stopped at its timeout is never answered (lambda-runtime.ts).
 */
import type { SimulatedAccount } from './account';
import { THROTTLING_ERROR_BY_SERVICE } from './aws-errors';
import { isStopped } from './lambda-runtime';
import { callService } from './services/index';

interface MiddlewareClient {
  middlewareStack: {
    add: (middleware: unknown, options: Record<string, unknown>) => void;
    remove: (name: string) => boolean;
  };
}

const MIDDLEWARE_NAME = 'fleetflowSimulator';

export function attachSimulator(clients: Record<string, MiddlewareClient>, account: SimulatedAccount): () => void {
  for (const [service, client] of Object.entries(clients)) {
    client.middlewareStack.remove(MIDDLEWARE_NAME);
    client.middlewareStack.add(
      (_next: unknown, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
        // Lambda stopped the invocation at its timeout: nothing it still sends reaches AWS.
        if (isStopped()) return new Promise(() => {});
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        const output = callService(account, service, operation, structuredClone(args.input), THROTTLING_ERROR_BY_SERVICE[service] ?? 'Throttling');
        return { output: { ...structuredClone(output), $metadata: { httpStatusCode: 200, requestId: 'simulated' } }, response: {} };
      },
      { step: 'deserialize', priority: 'high', name: MIDDLEWARE_NAME },
    );
  }
  return () => {
    for (const client of Object.values(clients)) client.middlewareStack.remove(MIDDLEWARE_NAME);
  };
}
