// The launcher, in the overlay view: type-to-search, keys typed before it
// shows, the keyboard grid, most used first.
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

const surfaces = () => appd.requests("shell.surface", "overlay").map((m) => m.show);
const launches = () => appd.requests("launch").map((m) => m.app_id);

test("the Super key shows the launcher, pre-rendered, and asks the host to map it", async () => {
	const { page } = view;
	assert.equal(await page.locator(".app-tile").count(), 2, "the grid is built before it shows");
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await until("shell.surface launcher", () => surfaces().includes("launcher"));
	assert.equal(await page.evaluate(() => document.activeElement.id), "search");
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await until("a second Super to hide it", () => surfaces().at(-1) === "none");
});

test("typing cou and Enter launches the counter", async () => {
	const { page } = view;
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await page.keyboard.type("cou");
	await until("one result", async () => (await page.locator(".app-tile").count()) === 1);
	assert.equal(await page.locator(".app-tile .app-name").textContent(), "Counter");
	await page.keyboard.press("Enter");
	await until("a launch request", () => launches().length === 1);
	assert.deepEqual(launches(), [COUNTER]);
	assert.equal(surfaces().at(-1), "none", "the launcher hides once it launched");
	assert.equal(await page.locator("#search").inputValue(), "", "and starts empty next time");
});

test("keys typed before the launcher is shown are kept", async () => {
	const { page } = view;
	// The compositor hands keys to the overlay as soon as Super is down;
	// the page may see them before the shell.key event.
	await page.keyboard.type("not");
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await until("shell.surface launcher", () => surfaces().includes("launcher"));
	assert.equal(await page.locator("#search").inputValue(), "not");
	assert.equal(await page.locator(".app-tile .app-name").allTextContents().then((t) => t.join()),
		"Notes");
	await page.keyboard.press("Enter");
	await until("a launch request", () => launches().length === 1);
	assert.deepEqual(launches(), [NOTES]);
});

test("the arrow keys move through the grid and Enter launches the selected app", async () => {
	const { page } = view;
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	const selected = () => page.locator(".app-tile[aria-selected=true]").getAttribute("data-app-id");
	assert.equal(await selected(), COUNTER);
	await page.keyboard.press("ArrowRight");
	assert.equal(await selected(), NOTES);
	assert.equal(await page.locator("#search").getAttribute("aria-activedescendant"), "app-1");
	await page.keyboard.press("ArrowLeft");
	assert.equal(await selected(), COUNTER);
	await page.keyboard.press("ArrowLeft");
	assert.equal(await selected(), NOTES, "it wraps");
	await page.keyboard.press("Enter");
	await until("a launch request", () => launches().length === 1);
	assert.deepEqual(launches(), [NOTES]);
});

test("the most used app comes first", async () => {
	const { page } = view;
	const first = () => page.locator(".app-tile").first().getAttribute("data-app-id");
	assert.equal(await first(), COUNTER, "alphabetical before any use");
	for (let i = 0; i < 2; i++) {
		await appd.hostEvent({ event: "shell.key", action: "launcher" });
		await page.keyboard.type("notes");
		await page.keyboard.press("Enter");
		await until("a launch", () => launches().length === i + 1);
	}
	assert.equal(await first(), NOTES);
	// Kept across a reload, where the page has storage.
	await page.reload();
	await page.waitForSelector("body[data-ready=true]");
	assert.equal(await page.locator(".app-tile").first().getAttribute("data-app-id"), NOTES);
});

test("Escape clears the search, a second Escape hides the launcher", async () => {
	const { page } = view;
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await page.keyboard.type("zzz");
	assert.equal(await page.locator(".app-tile").count(), 0);
	assert.match(await page.locator(".launcher-status").textContent(), /No app matches “zzz”/);
	await page.keyboard.press("Escape");
	assert.equal(await page.locator("#search").inputValue(), "");
	assert.equal(await page.locator(".app-tile").count(), 2);
	await page.keyboard.press("Escape");
	await until("shell.surface none", () => surfaces().at(-1) === "none");
});

test("a launch appd refuses shows why, in the launcher", async () => {
	const { page } = view;
	appd.apps.push({ id: "org.weft.test.gone", name: "Gone", version: "1", description: "",
		capabilities: [], path: "/nowhere" });
	await page.evaluate(() => window.weftShell.model.loadApps());
	appd.apps.pop();
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await page.keyboard.type("gone");
	await page.keyboard.press("Enter");
	await until("the error", async () =>
		(await page.locator(".launcher-error").textContent()).includes("is not installed"));
	assert.equal(surfaces().at(-1), "launcher", "the launcher came back to say so");
	assert.equal(await page.locator(".launcher-error").getAttribute("role"), "alert");
});

test("a click on a tile launches it", async () => {
	const { page } = view;
	await appd.hostEvent({ event: "shell.key", action: "launcher" });
	await page.locator(".app-tile[data-app-id='org.weft.demo.notes']").click();
	await until("a launch request", () => launches().length === 1);
	assert.deepEqual(launches(), [NOTES]);
});

test("app names come from appd's apps pages, all of them", async () => {
	await view.context.close();
	const many = [];
	for (let i = 0; i < 450; i++) {
		many.push({ id: `org.example.app${String(i).padStart(3, "0")}`, name: `App ${i}`,
			version: "1", description: "", capabilities: [], path: "/x" });
	}
	appd = new FakeAppd({ apps: many });
	view = await openShell(browser, appd, "overlay");
	assert.equal(await view.page.locator(".app-tile").count(), 450);
	const pages = appd.requests("apps");
	assert.equal(pages.length, 3);
	assert.equal(pages[1].after, "org.example.app199");
});
