/**
 * What FleetFlow records with EC2 tags on the hosts it launches and retires.
 *
 * Every instance a compute workflow launches carries LAUNCHED_BY_TAG (the execution's
 * name) and LAUNCH_GROUP_TAG (which of the execution's launch requests made it) from the
 * moment it exists (RunInstances TagSpecifications), so a retried or redriven task finds
 * what was already launched, and a failed execution finds everything it must terminate.
 */
export const LAUNCHED_BY_TAG = 'fleetflow:launched-by';
export const LAUNCH_GROUP_TAG = 'fleetflow:launch-group';

/** A host a replacement or a surge took out of service on purpose: by which execution, when, and why. */
export const RETIRED_BY_TAG = 'fleetflow:retired-by';
export const RETIRED_AT_TAG = 'fleetflow:retired-at';
export const RETIRED_REASON_TAG = 'fleetflow:retired-reason';
