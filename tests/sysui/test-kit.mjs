// weft-ui-kit.js in a page: roles, keys, the dialog's focus trap, forms
// (with ElementInternals, and with the fallback an engine without it
// gets), the icon set, axe-core.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { activeDescription, axeViolations, launchBrowser, openPage, until } from "./harness.mjs";

let browser;

before(async () => {
	browser = await launchBrowser();
});
after(async () => {
	await browser.close();
});

// Removes ElementInternals, as an engine without form-associated custom
// elements would not have it.
const NO_INTERNALS = "delete HTMLElement.prototype.attachInternals;";

async function withKit(fn, init) {
	const view = await openPage(browser, "tests/sysui/fixtures/kit.html", init);
	try {
		await view.page.waitForSelector("body[data-ready=true]");
		await view.page.waitForFunction(() => customElements.get("weft-dialog") !== undefined);
		await fn(view.page);
		assert.deepEqual(view.errors, [], "the page threw");
	} finally {
		await view.context.close();
	}
}

const log = (page) => page.evaluate(() => window.log);

test("every element carries its ARIA role and state", async () => {
	await withKit(async (page) => {
		const roles = await page.evaluate(() => Object.fromEntries(
			["submit", "off", "named-icon", "progress", "spinner", "menu", "list", "plain-list",
				"dialog"].map((id) => {
				const e = document.getElementById(id);
				return [id, [e.getAttribute("role"), e.getAttribute("aria-label"),
					e.getAttribute("aria-disabled"), e.getAttribute("aria-valuenow")]];
			})));
		assert.deepEqual(roles, {
			submit: ["button", null, null, null],
			off: ["button", null, "true", null],
			"named-icon": ["img", "Warning", null, null],
			progress: ["progressbar", "Upload", null, "30"],
			spinner: ["progressbar", "Loading", null, null],
			menu: ["menu", "Actions", null, null],
			list: ["listbox", "Fruit", null, null],
			"plain-list": ["list", "Plain", null, null],
			dialog: ["dialog", "Rename", null, null],
		});
		assert.equal(await page.locator("#menu weft-menu-item").first().getAttribute("role"),
			"menuitem");
		assert.equal(await page.locator("#list weft-list-item").first().getAttribute("role"), "option");
		assert.equal(await page.locator("#plain-list weft-list-item").getAttribute("role"), "listitem");
		assert.equal(await page.locator("weft-card").getAttribute("role"), "group");
		assert.equal(await page.locator("#plain weft-icon").getAttribute("aria-hidden"), "true");
		assert.equal(await page.locator("#dialog").getAttribute("aria-modal"), "true");
	});
});

test("the icon set draws every icon it names", async () => {
	await withKit(async (page) => {
		const empty = await page.evaluate(async () => {
			const kit = await import("/shell/kit/weft-ui-kit.js");
			const names = Object.keys(kit.ICONS);
			const bad = [];
			for (const name of names) {
				const icon = document.createElement("weft-icon");
				icon.setAttribute("name", name);
				document.body.append(icon);
				const paths = icon.shadowRoot.querySelectorAll("svg path").length;
				const box = icon.getBoundingClientRect();
				if (paths === 0 || box.width !== 24) {
					bad.push(name);
				}
				icon.remove();
			}
			return { count: names.length, bad };
		});
		assert.ok(empty.count >= 40, `${empty.count} icons`);
		assert.deepEqual(empty.bad, []);
	});
});

test("buttons: Tab reaches them, Enter and Space click, a disabled one does neither", async () => {
	await withKit(async (page) => {
		await page.locator("#plain").focus();
		await page.keyboard.press("Enter");
		await page.keyboard.press("Space");
		assert.deepEqual(await log(page), [{ click: "plain" }, { click: "plain" }]);
		await page.keyboard.press("Tab");
		assert.equal(await activeDescription(page), "open", "the disabled button is skipped");
		await page.locator("#off").click({ force: true });
		assert.deepEqual((await log(page)).length, 2);
	});
});

test("the dialog takes the focus, keeps Tab inside, closes on Escape and gives the focus back",
	async () => {
		await withKit(async (page) => {
			await page.locator("#open").focus();
			await page.keyboard.press("Enter");
			await until("the dialog's input focused", async () =>
				(await activeDescription(page)) === "New name");
			const order = [];
			for (let i = 0; i < 4; i++) {
				await page.keyboard.press("Tab");
				order.push(await activeDescription(page));
			}
			assert.deepEqual(order, ["cancel", "ok", "New name", "cancel"]);
			await page.keyboard.press("Shift+Tab");
			await page.keyboard.press("Shift+Tab");
			assert.equal(await activeDescription(page), "ok", "Shift+Tab wraps backwards");
			// A script moving the focus out is undone.
			await page.evaluate(() => document.getElementById("plain").focus());
			assert.equal(await activeDescription(page), "New name");
			// Escape is a cancel the page may refuse...
			await page.evaluate(() => {
				window.keepOpen = true;
			});
			await page.keyboard.press("Escape");
			assert.equal(await page.locator("#dialog").evaluate((d) => d.open), true);
			await page.evaluate(() => {
				window.keepOpen = false;
			});
			await page.keyboard.press("Escape");
			assert.equal(await page.locator("#dialog").evaluate((d) => d.open), false);
			assert.equal(await page.locator("#dialog").isVisible(), false);
			assert.equal(await activeDescription(page), "open", "the focus is back on the opener");
			assert.deepEqual(await log(page), [{ cancel: true }, { cancel: true }, { close: "" }]);
		});
	});

test("the dialog: a button closes it with a return value; a click on the backdrop cancels",
	async () => {
		await withKit(async (page) => {
			await page.locator("#open").click();
			await page.locator("#ok").click();
			assert.deepEqual(await log(page), [{ close: "ok" }]);
			await page.locator("#open").click();
			await page.mouse.click(5, 5);
			assert.equal(await page.locator("#dialog").evaluate((d) => d.open), false);
			assert.deepEqual((await log(page)).slice(1), [{ cancel: true }, { close: "ok" }]);
		});
	});

for (const [how, init] of [["ElementInternals", null], ["a hidden input, without ElementInternals",
	NO_INTERNALS]]) {
	test(`weft-input takes part in its form through ${how}`, async () => {
		await withKit(async (page) => {
			const native = await page.evaluate(async () =>
				(await import("/shell/kit/weft-ui-kit.js")).support.elementInternals);
			assert.equal(native, init === null);
			// Required and empty: the form is not submitted.
			await page.locator("#submit").click();
			assert.deepEqual(await log(page), []);
			await page.locator("#title").click();
			await page.keyboard.type("Notes");
			assert.equal(await page.locator("#title").evaluate((e) => e.value), "Notes");
			// Enter in the field submits, as in a native one.
			await page.keyboard.press("Enter");
			await page.locator("#submit").click();
			const expected = [["title", "Notes"], ["author", "Ada"]];
			assert.deepEqual(await log(page), [{ submit: expected }, { submit: expected }]);
			await page.locator("#reset").click();
			await until("the reset", async () =>
				(await page.locator("#title").evaluate((e) => e.value)) === "");
			assert.equal(await page.locator("#author").evaluate((e) => e.value), "Ada");
			// The value property and the events.
			const events = await page.evaluate(() => {
				const seen = [];
				const field = document.getElementById("author");
				field.addEventListener("weft:input", (ev) => seen.push(ev.detail.value));
				field.addEventListener("input", () => seen.push("input"));
				field.value = "Grace";
				return seen;
			});
			assert.deepEqual(events, [], "setting .value fires nothing, as natively");
			await page.locator("#author").click();
			await page.keyboard.press("End");
			await page.keyboard.type("!");
			await page.locator("#title").click();
			await page.keyboard.type("x");
			await page.keyboard.press("Enter");
			assert.deepEqual((await log(page)).at(-1), { submit: [["title", "x"], ["author", "Grace!"]] });
		}, init);
	});
}

test("the menu: arrows, Home/End, a letter, Enter activates, Escape closes", async () => {
	await withKit(async (page) => {
		await page.locator("#menu").evaluate((m) => m.focus());
		assert.equal(await activeDescription(page), "Copy");
		await page.keyboard.press("ArrowDown");
		assert.equal(await activeDescription(page), "Rename");
		await page.keyboard.press("End");
		assert.equal(await activeDescription(page), "Delete");
		await page.keyboard.press("ArrowDown");
		assert.equal(await activeDescription(page), "Copy", "it wraps");
		await page.keyboard.press("r");
		assert.equal(await activeDescription(page), "Rename");
		await page.keyboard.press("Enter");
		await page.keyboard.press("Escape");
		assert.deepEqual(await log(page), [{ activate: "rename" }, { menuClose: true }]);
		// One tab stop: Tab leaves the menu.
		await page.keyboard.press("Tab");
		assert.notEqual(await page.evaluate(() => document.activeElement.localName), "weft-menu-item");
	});
});

test("a selectable list: one tab stop, arrows move, Enter selects", async () => {
	await withKit(async (page) => {
		await page.locator("#menu weft-menu-item").first().focus();
		await page.keyboard.press("Tab");
		assert.equal(await activeDescription(page), "Apple");
		await page.keyboard.press("ArrowDown");
		await page.keyboard.press("ArrowDown");
		await page.keyboard.press("ArrowDown");
		assert.equal(await activeDescription(page), "Cherry");
		await page.keyboard.press("Enter");
		await page.keyboard.press("Home");
		await page.keyboard.press("Space");
		assert.deepEqual(await log(page), [{ select: "cherry" }, { select: "apple" }]);
		assert.deepEqual(await page.locator("#list weft-list-item").evaluateAll((items) =>
			items.map((i) => i.getAttribute("aria-selected"))), ["true", "false", "false"]);
	});
});

for (const open of [false, true]) {
	test(`axe: the kit's elements${open ? ", with the dialog open" : ""}`, async () => {
		await withKit(async (page) => {
			if (open) {
				await page.locator("#open").click();
			}
			assert.deepEqual(await axeViolations(page), []);
		});
	});
}
