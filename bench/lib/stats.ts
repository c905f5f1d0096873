/** Nearest-rank percentile of `values` (NaN for none). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

/** Count, median and p95 of durations in milliseconds, to a tenth. */
export const summary = (values: number[]) => ({
  n: values.length,
  medianMs: round(percentile(values, 50), 1),
  p95Ms: round(percentile(values, 95), 1),
});

export const round = (value: number, digits = 0) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
