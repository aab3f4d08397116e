/**
 * Where the release of each environment and component is recorded: SSM Parameter
 * Store, `/fleetflow/<environment>/<component>/current` and `.../previous`; `.../next` is
 * the release a pipeline queued for the next release window.
 */
export function releaseParameterName(environment: string, component: string, which: 'current' | 'previous' | 'next'): string {
  return `/fleetflow/${environment}/${component}/${which}`;
}
