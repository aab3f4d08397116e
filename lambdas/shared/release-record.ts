/**
 * Where the release of each environment and component is recorded: SSM Parameter
 * Store, `/fleetflow/<environment>/<component>/current` and `.../previous`.
 */
export function releaseParameterName(environment: string, component: string, which: 'current' | 'previous'): string {
  return `/fleetflow/${environment}/${component}/${which}`;
}
