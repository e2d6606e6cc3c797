// The fake appd answers as the real one did in fixtures/appd-capture.json
// (tests/sysui/capture-appd): the same keys in every reply and event, the
// same error codes, events before the launch reply.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeAppd, ROOT } from "./harness.mjs";

const capture = JSON.parse(readFileSync(join(ROOT, "tests/sysui/fixtures/appd-capture.json"), "utf8"));

// A fake page connection that records what it is sent.
function fakeConnection(appd) {
	const got = [];
	const page = { isClosed: () => false, evaluate: async (fn, text) => got.push(JSON.parse(text)) };
	return { conn: appd.connect(page, "overlay"), got };
}

const keys = (o) => Object.keys(o).sort();

test("each captured request gets a reply with the real reply's keys, events alike", async () => {
	const appd = new FakeAppd();
	const { conn, got } = fakeConnection(appd);
	const sessionIds = new Map();
	for (let i = 0; i < capture.length; i++) {
		if (!capture[i].sent) {
			continue;
		}
		const sent = { ...capture[i].sent };
		if (sent.session_id !== undefined) {
			sent.session_id = sessionIds.get(sent.session_id);
		}
		const before = got.length;
		await appd.receive(conn, JSON.stringify(sent));
		await new Promise((resolve) => setTimeout(resolve, 10));
		await conn.chain;
		// What the real appd sent up to the next request, and what ours did.
		const real = [];
		for (let j = i + 1; j < capture.length && !capture[j].sent; j++) {
			real.push(capture[j].received);
		}
		const ours = got.slice(before);
		const shape = (m) => (m.event ? `event ${m.event} ${m.session.state}` :
			`reply ${m.error ? "error " + m.error.code : "ok"}`);
		assert.deepEqual(ours.map(shape), real.map(shape), `after ${sent.type}`);
		for (const [k, m] of ours.entries()) {
			const r = real[k];
			assert.deepEqual(keys(m), keys(r), `keys of ${shape(m)} after ${sent.type}`);
			if (m.session && r.session) {
				assert.deepEqual(keys(m.session).filter((x) => x !== "ended_at"),
					keys(r.session).filter((x) => x !== "ended_at"), "SESSION keys");
				sessionIds.set(r.session.id, m.session.id);
			}
		}
	}
});
