import { randomUUID } from "node:crypto";

/**
 * Spare databases are named by the provisioner alone: a fixed prefix and a random UUID's hex, so
 * no tenant-chosen text ever becomes one of these identifiers. The control plane's check
 * constraint holds the same pattern.
 */
export const spareNamePattern = "^oryn_spare_[0-9a-f]{32}$";

export function newSpareName(): string {
  return `oryn_spare_${randomUUID().replaceAll("-", "")}`;
}

/** A name read back from the control plane or a catalogue, checked before it is used as one. */
export function checkedSpareName(name: string): string {
  if (!new RegExp(spareNamePattern).test(name)) throw new Error(`not a spare database: ${name}`);
  return name;
}
