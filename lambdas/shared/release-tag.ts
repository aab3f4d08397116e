/** The EC2 tag on each instance that records which release it runs. */
export const RELEASE_TAG = 'fleetflow:release';
