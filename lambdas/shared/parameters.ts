/** Parameter Store reads: a missing parameter is null, not an error (GetParameter answers ParameterNotFound). */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ssm } from './aws/ssm';

export async function readParameter(name: string): Promise<string | null> {
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
    return Parameter?.Value ?? null;
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return null;
    throw err;
  }
}
