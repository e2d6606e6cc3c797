// Accessibility: axe-core on every surface, in light and dark; keyboard
// only; reduced motion.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { COUNTER, NOTES, FakeAppd, axeViolations, launchBrowser, openShell, until }
	from "./harness.mjs";

let browser;

before(async () => {
	browser = await launchBrowser();
});
after(async () => {
	await browser.close();
});

async function withView(surface, options, fn) {
	const appd = new FakeAppd();
	const view = await openShell(browser, appd, surface, options);
	try {
		await fn(view.page, appd);
		assert.deepEqual(view.errors, [], "the page threw");
	} finally {
		await view.context.close();
	}
}

async function busy(appd) {
	await appd.start(COUNTER);
	await appd.start(NOTES, "starting");
	await appd.notify({ app_id: NOTES, title: "Saved", body: "Your note is saved." });
	await appd.notify({ app_id: COUNTER, title: "Critical", urgency: "critical" });
}

for (const colorScheme of ["light", "dark"]) {
	test(`axe: the panel, with apps and a toast (${colorScheme})`, async () => {
		await withView("panel", { colorScheme }, async (page, appd) => {
			await busy(appd);
			await until("two tasks", async () => (await page.locator(".task").count()) === 2);
			await page.locator(".toast").waitFor();
			await page.getByRole("button", { name: "Do not disturb" }).click();
			await page.locator(".task-more").first().click();
			assert.deepEqual(await axeViolations(page), []);
		});
	});

	test(`axe: the launcher and the notification centre (${colorScheme})`, async () => {
		await withView("overlay", { colorScheme }, async (page, appd) => {
			await busy(appd);
			await appd.hostEvent({ event: "shell.key", action: "launcher" });
			await until("the centre", async () => (await page.locator(".note").count()) === 2);
			await page.keyboard.type("o");
			assert.deepEqual(await axeViolations(page), []);
		});
	});

	test(`axe: the switcher (${colorScheme})`, async () => {
		await withView("overlay", { colorScheme }, async (page, appd) => {
			await busy(appd);
			await appd.hostEvent({ event: "shell.key", action: "switcher-next" });
			await until("the switcher", () => page.locator(".switcher-screen").isVisible());
			assert.deepEqual(await axeViolations(page), []);
		});
	});

	test(`axe: the lock screen, with an error shown (${colorScheme})`, async () => {
		await withView("overlay", { colorScheme }, async (page, appd) => {
			await appd.hostEvent({ event: "shell.key", action: "lock" });
			await page.keyboard.type("nope");
			await page.keyboard.press("Enter");
			await until("the error", async () => (await page.locator("#lock-error").textContent()) !== "");
			assert.deepEqual(await axeViolations(page), []);
		});
	});
}

test("the themes follow prefers-color-scheme", async () => {
	const colours = {};
	for (const colorScheme of ["light", "dark"]) {
		await withView("panel", { colorScheme }, async (page) => {
			colours[colorScheme] = await page.evaluate(() =>
				getComputedStyle(document.querySelector(".panel")).backgroundColor);
		});
	}
	assert.notEqual(colours.light, colours.dark);
	assert.equal(colours.dark, "rgb(29, 32, 39)");
});

test("reduced motion turns the toast's animation and the transitions off", async () => {
	for (const [reducedMotion, moving] of [["no-preference", true], ["reduce", false]]) {
		await withView("panel", { reducedMotion }, async (page, appd) => {
			await appd.notify({ app_id: NOTES, title: "hello" });
			await page.locator(".toast").waitFor();
			const style = await page.evaluate(() => {
				const toast = getComputedStyle(document.querySelector(".toast"));
				const button = getComputedStyle(document.querySelector(".icon-button"));
				return { animation: toast.animationName, transition: button.transitionDuration };
			});
			assert.equal(style.animation !== "none", moving, JSON.stringify(style));
			assert.equal(style.transition !== "0s", moving, JSON.stringify(style));
		});
	}
});

test("keyboard only: Super, type, Enter, Tab to the centre, Escape", async () => {
	await withView("overlay", {}, async (page, appd) => {
		await appd.notify({ app_id: NOTES, title: "Saved" });
		await appd.hostEvent({ event: "shell.key", action: "launcher" });
		await page.keyboard.type("co");
		await page.keyboard.press("Enter");
		await until("a launch", () => appd.requests("launch").length === 1);
		assert.equal(appd.requests("launch")[0].app_id, COUNTER);
		await appd.hostEvent({ event: "shell.key", action: "launcher" });
		const reached = [];
		for (let i = 0; i < 4; i++) {
			await page.keyboard.press("Tab");
			reached.push(await page.evaluate(() => document.activeElement.getAttribute("aria-label") ||
				document.activeElement.textContent.trim() || document.activeElement.id));
		}
		assert.deepEqual(reached.slice(0, 2), ["Clear all", "Remove notification: Saved"]);
		// A letter typed anywhere goes back to the search.
		await page.keyboard.type("n");
		assert.equal(await page.evaluate(() => document.activeElement.id), "search");
		assert.equal(await page.locator("#search").inputValue(), "n");
		await page.keyboard.press("Tab");
		await page.keyboard.press("Escape");
		await until("hidden", () => appd.requests("shell.surface").at(-1).show === "none");
	});
});

test("every control of the panel can be reached with Tab and has a name", async () => {
	await withView("panel", {}, async (page, appd) => {
		await appd.start(COUNTER);
		await until("a task", async () => (await page.locator(".task").count()) === 1);
		const names = [];
		for (let i = 0; i < 7; i++) {
			await page.keyboard.press("Tab");
			names.push(await page.evaluate(() => {
				const el = document.activeElement;
				const name = el.querySelector(".task-name");
				return el.getAttribute("aria-label") || (name ? name.textContent : el.tagName);
			}));
		}
		assert.deepEqual(names.slice(0, 6), ["Apps", "Counter", "Counter: menu", "Do not disturb",
			"Notifications", "Lock"]);
	});
});
