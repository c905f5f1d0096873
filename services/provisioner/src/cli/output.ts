/** A command's answer: JSON on stdout for scripts, or lines for people. */
export function printAnswer(json: boolean, value: unknown, human: () => string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  } else {
    const lines = human();
    if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
  }
}

/**
 * A progress line on stderr, rewritten in place on a terminal and printed every so often
 * otherwise (CI logs), so stdout stays the answer alone.
 */
export function progressLine(
  label: string,
  total: number,
): {
  tick(done: number, failed: number): void;
  end(): void;
} {
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const line = (done: number, failed: number) => `${label}: ${done}/${total} (${failed} failed)`;
  return {
    tick(done, failed) {
      if (tty) {
        process.stderr.write(`\r${line(done, failed)}`);
      } else if (Date.now() - lastPrinted > 2000 || done === total) {
        lastPrinted = Date.now();
        process.stderr.write(`${line(done, failed)}\n`);
      }
    },
    end() {
      if (tty) process.stderr.write("\n");
    },
  };
}
