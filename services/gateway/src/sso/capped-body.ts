/**
 * An identity provider's whole answer body (its token endpoint's, its metadata), read as it
 * arrives and given up as soon as it passes `limit` bytes: the rest is not read, and the error
 * `tooLarge` makes is thrown. A missing body is empty.
 */
export async function cappedBody(
  stream: ReadableStream<Uint8Array> | null | undefined,
  limit: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const reader = stream?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) break;
    size += next.value.byteLength;
    if (size > limit) {
      await reader?.cancel();
      throw tooLarge();
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}
