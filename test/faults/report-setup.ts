import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { faultRecordsDir, faultTable, readFaultRecords } from "./report.ts";

/** Starts the fault run with no records; at the end prints the table and writes the report. */
export default function setup() {
  rmSync(faultRecordsDir, { recursive: true, force: true });
  return () => {
    const records = readFaultRecords();
    const table = faultTable(records);
    writeFileSync(
      join(faultRecordsDir, "..", "faults-report.json"),
      `${JSON.stringify({ date: new Date().toISOString(), records }, null, 2)}\n`,
    );
    console.log(`[oryn faults] ${records.length} scenarios recorded\n${table}`);
  };
}
