/**
 * A picker of ranks under Zipf(s) over `count` of them: index 0 (rank 1) most often, index k with
 * probability (k + 1)^-s / H(count, s). Cumulative weights are made once and each pick bisects
 * them, so a pick costs log2(count) steps (the load generator picks per request).
 */
export function zipfPicker(count: number, s = 1): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= count; rank++) {
    total += 1 / rank ** s;
    cumulative.push(total);
  }
  return () => {
    const x = Math.random() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] ?? total) < x) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}
