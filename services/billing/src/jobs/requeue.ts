import { enqueue, type JobName, type JobPayload, jobCatalogue, type Queues } from "@oryn/shared";

/**
 * Sets a job going again when nothing is moving it: a failed one (attempts spent) is retried, a
 * missing one (its enqueue was lost) or a completed one (whose work did not stick) is added
 * anew. Waiting, delayed and running jobs are left alone. Returns what it found.
 */
export async function requeue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
): Promise<"retried" | "added" | "left"> {
  const entry = jobCatalogue[name];
  const queue = queues.get(entry.queue);
  const job = await queue.getJob(entry.jobId(payload as never));
  const state = job ? await job.getState() : "missing";
  if (state === "failed" && job) {
    await job.retry("failed");
    return "retried";
  }
  if (state === "completed" || state === "missing" || state === "unknown") {
    await job?.remove();
    await enqueue(queues, name, payload);
    return "added";
  }
  return "left";
}
