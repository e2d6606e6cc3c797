// What the shell's and the kit's sources must never do, checked in the
// files themselves: parse strings as HTML, or reach the network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

function sources() {
	const files = [];
	for (const dir of ["shell/ui", "shell/kit"]) {
		for (const name of readdirSync(join(ROOT, dir))) {
			if (/\.(js|html)$/u.test(name)) {
				files.push(join(dir, name));
			}
		}
	}
	return files;
}

test("no HTML is ever parsed from a string (innerHTML, outerHTML, insertAdjacentHTML, " +
	"document.write, DOMParser, createContextualFragment)", () => {
	const bad = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|srcdoc)\b/u;
	const found = [];
	for (const file of sources()) {
		readFileSync(join(ROOT, file), "utf8").split("\n").forEach((line, i) => {
			if (bad.test(line) && !line.trim().startsWith("//")) {
				found.push(`${file}:${i + 1}: ${line.trim()}`);
			}
		});
	}
	assert.ok(sources().length >= 10);
	assert.deepEqual(found, []);
});

test("nothing is fetched from the network: no http(s) URL, no fetch, no eval", () => {
	const bad = /https?:\/\/(?!www\.w3\.org\/2000\/svg)|\bfetch\(|\beval\(|new Function\(/u;
	const found = [];
	for (const file of sources()) {
		readFileSync(join(ROOT, file), "utf8").split("\n").forEach((line, i) => {
			if (bad.test(line)) {
				found.push(`${file}:${i + 1}: ${line.trim()}`);
			}
		});
	}
	assert.deepEqual(found, []);
});
