/** Check Data Validation: polls the check document Validate Data sent. */
import { checkValidation } from './validate-data';
import type { RestoreTaskInput, ValidationPhase } from './types';

export const handler = async (event: RestoreTaskInput & { phase?: ValidationPhase }): Promise<ValidationPhase> => checkValidation(event);
