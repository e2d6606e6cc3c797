// The switcher (Alt+Tab, the three-finger swipe) and the lock screen, in
// the overlay view.
import { after, before, beforeEach, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { COUNTER, NOTES, FakeAppd, launchBrowser, openShell, until } from "./harness.mjs";

let browser;
let appd;
let view;

before(async () => {
	browser = await launchBrowser();
});
after(async () => {
	await browser.close();
});
beforeEach(async () => {
	appd = new FakeAppd();
	view = await openShell(browser, appd, "overlay");
});
afterEach(async () => {
	assert.deepEqual(view.errors, [], "the page threw");
	await view.context.close();
});

const surfaces = () => appd.requests("shell.surface").map((m) => m.show);
const key = (action) => appd.hostEvent({ event: "shell.key", action });
const items = (page) => page.locator(".switch-item .app-name").allTextContents();
const selected = (page) => page.locator(".switch-item[aria-selected=true] .app-name").textContent();

async function threeApps() {
	const ids = {};
	ids.counter = await appd.start(COUNTER);
	ids.notes = await appd.start(NOTES);
	appd.apps.push({ id: "org.weft.demo.clock", name: "Clock", version: "1", description: "",
		capabilities: [], path: "/x" });
	await view.page.evaluate(() => window.weftShell.model.loadApps());
	ids.clock = await appd.start("org.weft.demo.clock");
	await until("three sessions", () => view.page.evaluate(() =>
		window.weftShell.model.sessions.size === 3));
	return ids;
}

test("Alt+Tab lists the apps most recently focused first and starts on the previous one", async () => {
	const { page } = view;
	const ids = await threeApps();
	await key("switcher-next");
	await until("shell.surface switcher", () => surfaces().includes("switcher"));
	assert.deepEqual(await items(page), ["Clock", "Notes", "Counter"]);
	assert.equal(await selected(page), "Notes");
	await key("switcher-next");
	assert.equal(await selected(page), "Counter");
	await key("switcher-prev");
	await key("switcher-prev");
	await key("switcher-prev");
	assert.equal(await selected(page), "Counter", "it wraps");
	await key("switcher-commit");
	await until("shell.focus", () => appd.requests("shell.focus").length === 1);
	assert.equal(appd.requests("shell.focus")[0].session_id, ids.counter);
	assert.equal(surfaces().at(-1), "none");
	// The counter is now the most recent: Alt+Tab goes back to the clock.
	await key("switcher-next");
	assert.deepEqual(await items(page), ["Counter", "Clock", "Notes"]);
	assert.equal(await selected(page), "Clock");
	await key("switcher-commit");
	await until("a second shell.focus", () => appd.requests("shell.focus").length === 2);
	assert.equal(appd.requests("shell.focus")[1].session_id, ids.clock);
});

test("a focus change the switcher did not make (shell.focused: a click, the panel) orders it", async () => {
	const { page } = view;
	const ids = await threeApps();
	// The counter was clicked: it is the most recent, the clock the previous.
	await appd.hostEvent({ event: "shell.focused", session_id: ids.counter });
	await key("switcher-next");
	await until("shell.surface switcher", () => surfaces().includes("switcher"));
	assert.deepEqual(await items(page), ["Counter", "Clock", "Notes"]);
	assert.equal(await selected(page), "Clock");
	await key("switcher-cancel");
	// A session appd does not list (gone already) changes nothing.
	await appd.hostEvent({ event: "shell.focused", session_id: "999" });
	await key("switcher-next");
	await until("the switcher again", () => surfaces().filter((s) => s === "switcher").length === 2);
	assert.deepEqual(await items(page), ["Counter", "Clock", "Notes"]);
});

test("Escape (switcher-cancel) focuses nothing; a stopped app leaves the list", async () => {
	const { page } = view;
	const ids = await threeApps();
	await key("switcher-next");
	await appd.setState(ids.notes, "stopped");
	await until("two left", async () => (await items(page)).length === 2);
	await key("switcher-cancel");
	await until("shell.surface none", () => surfaces().at(-1) === "none");
	assert.equal(appd.requests("shell.focus").length, 0);
});

test("the switcher works from the keyboard inside the overlay and by click", async () => {
	const { page } = view;
	const ids = await threeApps();
	await key("switcher-next");
	await until("focus on the list", () => page.evaluate(() =>
		document.activeElement.id === "switcher-list"));
	await page.keyboard.press("ArrowRight");
	assert.equal(await selected(page), "Counter");
	await page.keyboard.press("Enter");
	await until("shell.focus", () => appd.requests("shell.focus").length === 1);
	assert.equal(appd.requests("shell.focus")[0].session_id, ids.counter);
	await key("switcher-next");
	await page.locator(".switch-item", { hasText: "Notes" }).click();
	await until("shell.focus", () => appd.requests("shell.focus").length === 2);
	assert.equal(appd.requests("shell.focus")[1].session_id, ids.notes);
});

test("a three-finger horizontal swipe opens the switcher; the page gets it as a DOM event",
	async () => {
		const { page } = view;
		await threeApps();
		await page.evaluate(() => {
			window.gestures = [];
			window.addEventListener("weft-navigation-gesture", (ev) => window.gestures.push(ev.detail));
		});
		await appd.hostEvent({ event: "shell.gesture", type: 0, fingers: 3, dx: 4, dy: 120 });
		await appd.hostEvent({ event: "shell.gesture", type: 1, fingers: 3, dx: 300, dy: 0 });
		assert.ok(!surfaces().includes("switcher"), "a vertical swipe and a pinch do not");
		await appd.hostEvent({ event: "shell.gesture", type: 0, fingers: 3, dx: 180, dy: 10 });
		await until("shell.surface switcher", () => surfaces().includes("switcher"));
		assert.equal(await selected(page), "Notes");
		const got = await page.evaluate(() => window.gestures);
		assert.deepEqual(got[2], { type: 0, fingers: 3, dx: 180, dy: 10 });
	});

test("the lock key shows the lock screen; a wrong password is refused, the right one unlocks",
	async () => {
		const { page } = view;
		await key("lock");
		await until("shell.surface lock", () => surfaces().at(-1) === "lock");
		assert.equal(appd.requests("shell.lock").length, 1, "the session lock is asked for");
		assert.equal(await page.evaluate(() => document.activeElement.id), "lock-password");
		assert.equal(await page.locator(".launcher-screen").isVisible(), false);
		await page.keyboard.type("wrong");
		await page.keyboard.press("Enter");
		await until("the error", async () =>
			(await page.locator("#lock-error").textContent()) === "Wrong password. Try again.");
		assert.equal(await page.locator("#lock-password").inputValue(), "");
		// Neither the launcher nor the switcher may open over the lock.
		await key("launcher");
		await key("switcher-next");
		await page.keyboard.press("Escape");
		assert.ok(!surfaces().includes("launcher") && !surfaces().includes("switcher"));
		assert.equal(await page.locator(".lock-screen").isVisible(), true);
		await page.keyboard.type("secret");
		await page.keyboard.press("Enter");
		await until("shell.surface none", () => surfaces().at(-1) === "none");
		assert.deepEqual(appd.requests("shell.unlock").map((m) => m.password), ["wrong", "secret"]);
		assert.equal(await page.locator(".launcher-screen").isVisible(), true);
	});

test("idle locks; the host saying locked (a restarted shell) shows the lock screen", async () => {
	const { page } = view;
	await appd.hostEvent({ event: "shell.idle" });
	await until("shell.surface lock", () => surfaces().at(-1) === "lock");
	assert.equal(appd.requests("shell.lock").length, 1, "the session lock is asked for");
	await appd.hostEvent({ event: "shell.locked", locked: false });
	await until("shell.surface none", () => surfaces().at(-1) === "none");
	await appd.hostEvent({ event: "shell.locked", locked: true });
	await until("locked again", () => surfaces().at(-1) === "lock");
	assert.equal(await page.locator(".lock-screen").isVisible(), true);
});

test("the lock screen shows nothing of the apps", async () => {
	const { page } = view;
	await appd.start(COUNTER);
	await appd.notify({ app_id: NOTES, title: "private" });
	await key("lock");
	await until("shell.surface lock", () => surfaces().at(-1) === "lock");
	const visible = await page.evaluate(() => document.body.innerText);
	assert.ok(!visible.includes("private") && !visible.includes("Counter"), visible);
});
