import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

/**
 * Writes a gzip-compressed POSIX ustar archive of regular files. Enough for an export (flat
 * names under 100 bytes, files of any size), and no dependency: every `tar` reads it.
 */
export async function writeTarGz(
  destination: string,
  files: { name: string; path: string }[],
): Promise<void> {
  async function* blocks(): AsyncGenerator<Buffer> {
    for (const file of files) {
      const { size } = await stat(file.path);
      yield header(file.name, size);
      for await (const chunk of createReadStream(file.path)) yield chunk as Buffer;
      const padding = (512 - (size % 512)) % 512;
      if (padding > 0) yield Buffer.alloc(padding);
    }
    // The end of the archive: two empty blocks.
    yield Buffer.alloc(1024);
  }
  await pipeline(blocks(), createGzip(), createWriteStream(destination, { mode: 0o600 }));
}

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 99 || !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new Error(`unsupported archive member name ${name}`);
  }
  // Eleven octal digits: up to 8 GiB per table file (larger would need tar's base-256 sizes).
  if (size >= 8 ** 11) throw new Error(`${name} is too large for a ustar archive`);
  const block = Buffer.alloc(512);
  const octal = (value: number, length: number) =>
    `${value.toString(8).padStart(length - 1, "0")}\0`;
  block.write(name, 0, "utf8");
  block.write(octal(0o600, 8), 100);
  block.write(octal(0, 8), 108); // uid
  block.write(octal(0, 8), 116); // gid
  block.write(octal(size, 12), 124);
  block.write(octal(Math.floor(Date.now() / 1000), 12), 136);
  block.write("        ", 148); // checksum field counts as spaces while summing
  block.write("0", 156); // regular file
  block.write("ustar\u000000", 257);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return block;
}
