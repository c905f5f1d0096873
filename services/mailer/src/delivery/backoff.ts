export type RetryPolicy = { attempts: number; firstDelayMs: number; maxDelayMs: number };

/**
 * The delay before the next try of a mail job, given the tries made so far: doubling from
 * `firstDelayMs` up to `maxDelayMs`, a fifth less at random so that messages that failed
 * together (SMTP down) do not all come back at the same instant; -1 (give up, the job goes to
 * the failed set) once `attempts` tries are spent.
 */
export function mailBackoff(policy: RetryPolicy) {
  return (attemptsMade: number): number => {
    if (attemptsMade >= policy.attempts) return -1;
    const delay = Math.min(policy.firstDelayMs * 2 ** (attemptsMade - 1), policy.maxDelayMs);
    return Math.round(delay * (1 - Math.random() * 0.2));
  };
}
