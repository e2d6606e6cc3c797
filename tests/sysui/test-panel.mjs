// The panel view: running apps from sessions and state events, focus,
// the per-app menu, the clock.
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
});
afterEach(async () => {
	assert.deepEqual(view.errors, [], "the page threw");
	await view.context.close();
});

const names = (page) => page.locator(".task .task-name").allTextContents();

test("the taskbar lists the sessions appd had before the shell started", async () => {
	appd.session(COUNTER, "running");
	appd.session(NOTES, "starting");
	appd.sessions.set("9", { id: "9", app_id: NOTES, state: "stopped" });
	view = await openShell(browser, appd, "panel");
	assert.deepEqual(await names(view.page), ["Counter", "Notes (starting)"]);
	assert.deepEqual(appd.requests("sessions").map((m) => m.all), [false]);
	const [sub, sessions] = [appd.log.findIndex((e) => e.msg.type === "subscribe"),
		appd.log.findIndex((e) => e.msg.type === "sessions")];
	assert.ok(sub < sessions, "subscribed before asking for the snapshot");
});

test("the taskbar follows state events: a start, running, a stop, a crash", async () => {
	view = await openShell(browser, appd, "panel");
	const { page } = view;
	assert.deepEqual(await names(page), []);
	const counter = await appd.start(COUNTER, "starting");
	await until("the counter, starting", async () =>
		(await names(page)).join() === "Counter (starting)");
	await appd.setState(counter, "running");
	await until("the counter, running", async () => (await names(page)).join() === "Counter");
	const notes = await appd.start(NOTES);
	await until("both", async () => (await names(page)).join() === "Counter,Notes");
	await appd.setState(counter, "stopped");
	await until("the counter gone", async () => (await names(page)).join() === "Notes");
	await appd.setState(notes, "crashed");
	await until("notes gone", async () => (await names(page)).length === 0);
	await until("a toast saying notes stopped", async () =>
		(await page.locator(".toast").textContent() || "").includes("Notes stopped unexpectedly"));
});

test("after appd restarts, the taskbar subscribes again and shows the new appd's sessions",
	async () => {
		appd.session(COUNTER, "running");
		view = await openShell(browser, appd, "panel");
		const { page } = view;
		assert.deepEqual(await names(page), ["Counter"]);
		// A request that appd took down with it is answered, not left waiting.
		appd.gone = true;
		const lost = page.evaluate(() => window.weftShell.ipc.request({ type: "sessions" }));
		await until("the request sent", async () => appd.requests("sessions").length === 2);
		let answer;
		lost.then((reply) => {
			answer = reply;
		});
		await appd.restart([[NOTES, "running"]]);
		await until("the lost request answered", async () => answer);
		assert.equal(answer.error.code, "unavailable");
		await until("the new appd's sessions", async () => (await names(page)).join() === "Notes");
		assert.equal(appd.requests("subscribe").length, 2);
		// Subscribed again: the new appd's events reach the taskbar.
		await appd.start(COUNTER);
		await until("the counter, started after", async () =>
			(await names(page)).join() === "Notes,Counter");
	});

test("a click on an app focuses it through shell.focus", async () => {
	view = await openShell(browser, appd, "panel");
	const notes = await appd.start(NOTES);
	await view.page.locator(".task-button", { hasText: "Notes" }).click();
	await until("shell.focus", () => appd.requests("shell.focus").length === 1);
	assert.deepEqual(appd.requests("shell.focus")[0].session_id, notes);
});

test("an app's menu closes it (terminate), by keyboard alone", async () => {
	view = await openShell(browser, appd, "panel");
	const { page } = view;
	const counter = await appd.start(COUNTER);
	await until("the counter", async () => (await names(page)).join() === "Counter");
	const more = page.locator(".task-more");
	assert.equal(await more.getAttribute("aria-label"), "Counter: menu");
	await more.focus();
	await page.keyboard.press("Enter");
	const item = page.locator("[role=menuitem]");
	assert.equal(await item.textContent(), "Close");
	assert.equal(await more.getAttribute("aria-expanded"), "true");
	assert.equal(await page.evaluate(() => document.activeElement.getAttribute("role")), "menuitem");
	await page.keyboard.press("Escape");
	assert.equal(await item.count(), 0, "Escape closes the menu");
	assert.equal(await page.evaluate(() => document.activeElement.className), "icon-button task-more");
	await page.keyboard.press("Enter");
	await page.keyboard.press("Enter");
	await until("terminate", () => appd.requests("terminate").length === 1);
	assert.equal(appd.requests("terminate")[0].session_id, counter);
	await until("the counter gone", async () => (await names(page)).length === 0);
});

test("an open menu stays open, focused, when another app changes state", async () => {
	view = await openShell(browser, appd, "panel");
	const { page } = view;
	await appd.start(COUNTER);
	await until("the counter", async () => (await names(page)).join() === "Counter");
	await page.locator(".task-more").focus();
	await page.keyboard.press("Enter");
	await appd.start(NOTES);
	await until("notes too", async () => (await names(page)).length === 2);
	assert.equal(await page.locator("[role=menuitem]").count(), 1);
	assert.equal(await page.evaluate(() => document.activeElement.getAttribute("role")), "menuitem");
	await page.keyboard.press("Enter");
	await until("terminate", () => appd.requests("terminate").length === 1);
	assert.equal(appd.requests("terminate")[0].session_id, "1");
});

test("the launcher button and the bell open the overlay, the lock button locks", async () => {
	view = await openShell(browser, appd, "panel");
	const { page } = view;
	await page.getByRole("button", { name: "Apps" }).click();
	await until("shell.surface launcher", () =>
		appd.requests("shell.surface").some((m) => m.show === "launcher"));
	await page.getByRole("button", { name: "Lock" }).click();
	await until("shell.lock", () => appd.requests("shell.lock").length === 1);
});

test("the left and right arrows move along the panel's controls", async () => {
	view = await openShell(browser, appd, "panel");
	const { page } = view;
	await appd.start(COUNTER);
	await until("the counter", async () => (await names(page)).join() === "Counter");
	await page.keyboard.press("Tab");
	const focused = () => page.evaluate(() => {
		const el = document.activeElement;
		const name = el.querySelector(".task-name");
		return el.getAttribute("aria-label") || (name ? name.textContent : el.textContent);
	});
	assert.equal(await focused(), "Apps");
	await page.keyboard.press("ArrowRight");
	assert.equal(await focused(), "Counter");
	await page.keyboard.press("ArrowRight");
	assert.equal(await focused(), "Counter: menu");
	await page.keyboard.press("ArrowLeft");
	await page.keyboard.press("ArrowLeft");
	await page.keyboard.press("ArrowLeft");
	assert.match(await focused(), /^\d\d:\d\d$|Lock/u);
});

test("the clock shows the time as HH:MM", async () => {
	view = await openShell(browser, appd, "panel");
	const text = await view.page.locator(".clock").textContent();
	assert.match(text, /^\d\d:\d\d( [AP]M)?$/u);
	assert.ok(await view.page.locator(".clock").getAttribute("datetime"));
});
