import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What one fault scenario provoked and what clients saw during it. Every fault test records
 * one of these after its assertions pass (a failed test records nothing), and the report setup
 * turns them into the table in test-results/faults-report.json.
 */
export type FaultRecord = {
  /** Short name of the fault, as in the table: "provisioner SIGKILL during 50 signups". */
  fault: string;
  /** How many times the fault was provoked (kills, restarts, stops). */
  provoked: number;
  /** Requests sent by clients while the scenario ran. */
  requests: number;
  /** Answers a client could not use: 5xx, timeouts and connection errors. Expected ones too. */
  clientErrors: number;
  /** Acknowledged writes (or events, or tenants) missing afterwards. Must be 0. */
  dataLost: number;
  /** Data of one tenant seen by or changed through another. Must be 0. */
  crossTenantLeaks: number;
  /** Anything else worth a column: fuzz cases, statuses seen, durations. */
  detail?: Record<string, unknown>;
};

export const faultRecordsDir = join(import.meta.dirname, "..", "..", "test-results", "faults");

export function recordFault(record: FaultRecord): void {
  mkdirSync(faultRecordsDir, { recursive: true });
  const file = `${record.fault.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`;
  writeFileSync(join(faultRecordsDir, file), `${JSON.stringify(record, null, 2)}\n`);
}

export function readFaultRecords(): FaultRecord[] {
  let files: string[];
  try {
    files = readdirSync(faultRecordsDir).filter((file) => file.endsWith(".json"));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((file) => JSON.parse(readFileSync(join(faultRecordsDir, file), "utf8")) as FaultRecord);
}

export function faultTable(records: FaultRecord[]): string {
  const header =
    "| fault | provoked | requests during it | client errors | data lost | cross-tenant leaks |";
  const lines = records.map(
    (r) =>
      `| ${r.fault} | ${r.provoked} | ${r.requests} | ${r.clientErrors} | ${r.dataLost} | ${r.crossTenantLeaks} |`,
  );
  return [header, "|---|---|---|---|---|---|", ...lines].join("\n");
}
