/** The retry schedule: settings, so tests can shrink three days to seconds. */
export type RetrySchedule = { firstDelayMs: number; maxDelayMs: number; windowMs: number };

/**
 * The wait before try `attempt + 1` after `attempt` failed: doubling from `firstDelayMs`, capped,
 * with "equal jitter" (half fixed, half random) so receivers coming back from an outage are not
 * hit by every delivery at the same instant.
 */
export function retryDelayMs(schedule: RetrySchedule, attempt: number, random = Math.random()) {
  const base = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + (base / 2) * random);
}
