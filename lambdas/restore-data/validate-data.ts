/** Validate Data: runs the check document against the restored instance; the work is in validation.ts, which Check Validation polls. */
import type { RestoreTaskInput, ValidationPhase } from '../domain/contract/payloads';
import { validateData } from './validation';

export const handler = async (event: RestoreTaskInput): Promise<ValidationPhase> => validateData(event);
