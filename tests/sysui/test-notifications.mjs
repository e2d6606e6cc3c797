// Notifications: toasts in the panel, the history in the overlay's centre,
// do-not-disturb, the per-app rate limit, critical ones always, and no
// HTML from an app ever parsed.
import { after, before, beforeEach, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { CAPTURED_APPS, COUNTER, NOTES, FakeAppd, launchBrowser, openShell, until }
	from "./harness.mjs";

let browser;
let appd;
let views;

before(async () => {
	browser = await launchBrowser();
});
after(async () => {
	await browser.close();
});
beforeEach(async () => {
	appd = new FakeAppd();
	views = [];
});
afterEach(async () => {
	for (const v of views) {
		assert.deepEqual(v.errors, [], "the page threw");
		await v.context.close();
	}
});

async function open(surface) {
	const v = await openShell(browser, appd, surface);
	views.push(v);
	return v.page;
}

// The toasts the panel shows now or has queued, by title.
const toasts = (page) => page.evaluate(() => {
	const t = window.weftShell.ui.toasts;
	return [t.current, ...t.queue].filter(Boolean).map((n) => n.title);
});
const historyTitles = (page) => page.evaluate(() =>
	window.weftShell.ui.history.items.map((n) => n.title));

test("a notification shows as a toast with the app's name, and goes into the history", async () => {
	const panel = await open("panel");
	await appd.notify({ app_id: NOTES, title: "Saved", body: "Your note is saved." });
	const toast = panel.locator(".toast");
	await toast.waitFor();
	assert.equal(await toast.getAttribute("role"), "status");
	assert.equal(await toast.locator(".note-app").textContent(), "Notes");
	assert.equal(await toast.locator(".note-title").textContent(), "Saved");
	assert.equal(await toast.locator(".note-body").textContent(), "Your note is saved.");
	assert.deepEqual(await historyTitles(panel), ["Saved"]);
	assert.equal(await panel.locator(".bell").getAttribute("aria-label"), "Notifications, 1 new");
	await toast.getByRole("button", { name: "Dismiss notification" }).click();
	assert.equal(await panel.locator(".toast").count(), 0);
});

test("an app over its rate limit gets no more toasts until its window has passed", async () => {
	const panel = await open("panel");
	await panel.evaluate(() => {
		window.fakeNow = 1000000;
		window.weftShell.ui.policy.now = () => window.fakeNow;
	});
	for (let i = 1; i <= 6; i++) {
		await appd.notify({ app_id: NOTES, title: `spam ${i}` });
	}
	await appd.notify({ app_id: COUNTER, title: "other app" });
	await until("seven in the history", async () => (await historyTitles(panel)).length === 7);
	assert.deepEqual(await toasts(panel), ["spam 1", "spam 2", "spam 3",
		"More notifications held back", "other app"], "told once that more are held back");
	assert.equal((await historyTitles(panel)).filter((t) => t.startsWith("More")).length, 0);
	await panel.evaluate(() => {
		window.fakeNow += 10000;
	});
	await appd.notify({ app_id: NOTES, title: "later" });
	await until("the later one", async () => (await historyTitles(panel)).length === 8);
	assert.ok((await toasts(panel)).includes("later"), "toasts resume after the window");
});

test("do-not-disturb holds toasts back but keeps them in the history; critical ones show", async () => {
	const panel = await open("panel");
	const dnd = panel.getByRole("button", { name: "Do not disturb" });
	assert.equal(await dnd.getAttribute("aria-pressed"), "false");
	await dnd.click();
	assert.equal(await dnd.getAttribute("aria-pressed"), "true");
	await appd.notify({ app_id: NOTES, title: "quiet" });
	await appd.notify({ app_id: NOTES, title: "quiet too", urgency: "low" });
	await appd.notify({ app_id: COUNTER, title: "battery empty", urgency: "critical" });
	await until("three in the history", async () => (await historyTitles(panel)).length === 3);
	assert.deepEqual(await toasts(panel), ["battery empty"]);
	const toast = panel.locator(".toast");
	assert.equal(await toast.getAttribute("role"), "alert");
	assert.equal(await toast.getAttribute("data-urgency"), "critical");
	// DND is remembered.
	await panel.reload();
	await panel.waitForSelector("body[data-ready=true]");
	assert.equal(await panel.getByRole("button", { name: "Do not disturb" })
		.getAttribute("aria-pressed"), "true");
});

test("a critical notification gets past the rate limit and does not expire", async () => {
	const panel = await open("panel");
	for (let i = 1; i <= 4; i++) {
		await appd.notify({ app_id: NOTES, title: `n${i}` });
	}
	await appd.notify({ app_id: NOTES, title: "urgent", urgency: "critical" });
	await until("five in the history", async () => (await historyTitles(panel)).length === 5);
	const shown = await toasts(panel);
	assert.equal(shown[0], "urgent", "a critical one goes first");
	assert.ok(!shown.includes("n4"));
	assert.equal(shown.filter((t) => t === "More notifications held back").length, 1);
	assert.equal(await panel.evaluate(() => window.weftShell.ui.toasts.timer === 0 ||
		window.weftShell.ui.toasts.current.urgency === "critical"), true);
});

const HOSTILE_NAME = "<img src=x onerror=\"window.__pwned='name'\">Evil";
const HOSTILE_TITLE = "<b id=\"inj-title\">bold</b>";
const HOSTILE_BODY = "<script>window.__pwned='body'</script><a id=\"inj-body\" href=\"#\">x</a>";

async function assertNoInjection(page, scope) {
	const found = await page.evaluate((sel) => {
		const root = document.querySelector(sel);
		return {
			img: [...root.querySelectorAll("img")].filter((i) => i.getAttribute("src") === "x").length,
			b: root.querySelectorAll("b, #inj-title, #inj-body, script, a").length,
			pwned: window.__pwned || null,
			text: root.textContent,
		};
	}, scope);
	assert.deepEqual([found.img, found.b, found.pwned], [0, 0, null], "no element was created");
	assert.ok(found.text.includes("Evil"), "the name shows");
	assert.ok(found.text.includes(HOSTILE_NAME), "the name shows literally");
	assert.ok(found.text.includes(HOSTILE_TITLE), "the title shows literally");
	assert.ok(found.text.includes(HOSTILE_BODY), "the body shows literally");
}

test("a hostile app name, title and body show as text in the toast and the centre", async () => {
	appd.apps.push({ ...CAPTURED_APPS[0], id: "org.example.evil", name: HOSTILE_NAME });
	const panel = await open("panel");
	const overlay = await open("overlay");
	await appd.notify({ app_id: "org.example.evil", title: HOSTILE_TITLE, body: HOSTILE_BODY });
	await panel.locator(".toast").waitFor();
	await assertNoInjection(panel, ".toasts");
	await until("the centre lists it", async () =>
		(await overlay.locator(".note").count()) === 1);
	await assertNoInjection(overlay, ".centre");
	// The name is also in the launcher and, once it runs, the taskbar.
	await appd.start("org.example.evil");
	await until("the taskbar entry", async () => (await panel.locator(".task").count()) === 1);
	const task = await panel.locator(".task-name").textContent();
	assert.equal(task, HOSTILE_NAME);
	const tile = await overlay.locator(".app-tile[data-app-id='org.example.evil'] .app-name")
		.textContent();
	assert.equal(tile, HOSTILE_NAME);
	assert.equal(await panel.evaluate(() => window.__pwned || null), null);
	assert.equal(await overlay.evaluate(() => window.__pwned || null), null);
});

test("the centre keeps the history, newest first; one can be removed, all cleared", async () => {
	const overlay = await open("overlay");
	await appd.notify({ app_id: NOTES, title: "first" });
	await appd.notify({ app_id: COUNTER, title: "second", urgency: "critical" });
	const titles = () => overlay.locator(".centre .note-title").allTextContents();
	await until("two", async () => (await titles()).length === 2);
	assert.deepEqual(await titles(), ["second", "first"]);
	await overlay.getByRole("button", { name: "Remove notification: second" }).click();
	assert.deepEqual(await titles(), ["first"]);
	await overlay.getByRole("button", { name: "Clear all" }).click();
	assert.deepEqual(await titles(), []);
	assert.equal(await overlay.locator(".note-empty").textContent(), "No notifications");
});

test("a notification without urgency is normal; overly long text is cut", async () => {
	const panel = await open("panel");
	await appd.notify({ app_id: NOTES, title: "t".repeat(5000), body: "b".repeat(50000) });
	await until("one", async () => (await historyTitles(panel)).length === 1);
	const n = await panel.evaluate(() => window.weftShell.ui.history.items[0]);
	assert.equal(n.urgency, "normal");
	assert.equal([...n.title].length, 200);
	assert.equal([...n.body].length, 1000);
});

test("while locked, toasts say only which app, not what", async () => {
	const panel = await open("panel");
	await appd.hostEvent({ event: "shell.locked", locked: true });
	await until("locked", () => panel.evaluate(() => document.body.classList.contains("locked")));
	await appd.notify({ app_id: NOTES, title: "secret title", body: "secret body" });
	await panel.locator(".toast").waitFor();
	const text = await panel.locator(".toast").textContent();
	assert.ok(!text.includes("secret"), text);
	assert.ok(text.includes("Notes"));
});
