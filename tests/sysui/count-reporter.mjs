// A node:test reporter that counts test cases (not suites) and writes
// {"passed", "failed", "skipped", "failures": [names]} to $WEFT_SYSUI_REPORT.
import { writeFileSync } from "node:fs";

export default async function* countReporter(source) {
	const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
	for await (const event of source) {
		if (event.type !== "test:pass" && event.type !== "test:fail") {
			continue;
		}
		const data = event.data;
		if (data.details && data.details.type === "suite") {
			continue;
		}
		if (data.skip !== undefined || data.todo !== undefined) {
			counts.skipped++;
		} else if (event.type === "test:pass") {
			counts.passed++;
		} else {
			counts.failed++;
			counts.failures.push(data.name);
		}
	}
	if (process.env.WEFT_SYSUI_REPORT) {
		writeFileSync(process.env.WEFT_SYSUI_REPORT, JSON.stringify(counts) + "\n");
	}
	yield `sysui: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`;
}
