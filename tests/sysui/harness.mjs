// The sysui lane's harness: Debian's Chromium through playwright-core, the
// repository's files served on a fake origin, a window.weftIpc shim like
// webview/src/bridge.rs's, and a fake appd (Node side) that answers in the
// JSON of libweft/include/weft/appd-protocol.h, its shapes taken from a
// capture of the real appd (fixtures/appd-capture.json, capture-appd).

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = normalize(join(here, "..", ".."));
const modules = process.env.WEFT_SYSUI_MODULES;
if (!modules) {
	throw new Error("WEFT_SYSUI_MODULES is not set: run the tests through tests/sysui/run-sysui");
}
const require = createRequire(join(modules, "noop.js"));
const { chromium } = require("playwright-core");
const AXE = require.resolve("axe-core/axe.min.js");

export const ORIGIN = "http://weft-system.test";
export const SHELL = `${ORIGIN}/shell/ui/system-ui.html`;
export const COUNTER = "org.weft.demo.counter";
export const NOTES = "org.weft.demo.notes";
const DEADLINE_MS = 10000;

const capture = JSON.parse(readFileSync(join(here, "fixtures", "appd-capture.json"), "utf8"));
const received = capture.filter((m) => m.received).map((m) => m.received);
// The real reply to {"type": "apps"}, and a real SESSION to model ours on.
export const CAPTURED_APPS = received.find((m) => Array.isArray(m.apps)).apps;
const SESSION_TEMPLATE = received.find((m) => m.event === "state").session;
export const CAPTURED_NOT_INSTALLED = received.find((m) => m.error).error;

const TYPES = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".json": "application/json",
};

// Until fn() is true, or fail saying what was awaited.
export async function until(what, fn, timeout = DEADLINE_MS) {
	const deadline = Date.now() + timeout;
	for (;;) {
		const value = await fn();
		if (value) {
			return value;
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

export async function launchBrowser() {
	return chromium.launch({
		executablePath: process.env.WEFT_CHROMIUM || "/usr/bin/chromium",
		// Root in a container has no user namespace for Chromium's sandbox.
		args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"],
	});
}

const SHIM = `(() => {
	let handler = null;
	const inbox = [];
	function drain() {
		while (handler !== null && inbox.length > 0) {
			const payload = inbox.shift();
			try {
				handler.call(weftIpc, payload);
			} catch (error) {
				setTimeout(() => { throw error; });
			}
		}
	}
	const weftIpc = {
		send(payload) {
			const text = typeof payload === "string" ? payload : JSON.stringify(payload);
			return window.__weftSend(text).then(() => undefined);
		},
		get onmessage() { return handler; },
		set onmessage(fn) { handler = typeof fn === "function" ? fn : null; drain(); },
	};
	Object.defineProperty(window, "weftIpc", { value: weftIpc, enumerable: true });
	Object.defineProperty(window, "__weftIpcDeliver", {
		value: (messages) => { inbox.push(...messages); drain(); },
	});
})();`;

// appd as the shell sees it through weft-shell, plus weft-shell's own
// shell.* requests.
export class FakeAppd {
	constructor({ apps = CAPTURED_APPS, password = "secret" } = {}) {
		this.apps = apps.map((a) => ({ ...a }));
		this.password = password;
		this.sessions = new Map();
		this.nextSession = 1;
		this.connections = [];
		this.log = []; // {surface, msg}
		this.autoRun = true; // launched sessions go on to "running"
		this.gone = false; // appd is down: requests get no reply
	}

	// appd dies and a new one starts, as the compositor restarts it: the
	// subscriptions and sessions go with the old one, and weft-shell tells
	// each view it lost appd (shell.appd), then that it is connected again.
	async restart(sessions = []) {
		this.gone = true;
		for (const c of this.connections) {
			c.subscribed = false;
		}
		await this.hostEvent({ event: "shell.appd", connected: false });
		this.sessions.clear();
		for (const [appId, state] of sessions) {
			this.session(appId, state);
		}
		this.gone = false;
		await this.hostEvent({ event: "shell.appd", connected: true });
	}

	connect(page, surface) {
		const conn = { page, surface, subscribed: false, chain: Promise.resolve() };
		this.connections.push(conn);
		return conn;
	}

	deliver(conn, msg) {
		const text = JSON.stringify(msg);
		conn.chain = conn.chain.then(() => conn.page.evaluate((t) => {
			window.__weftIpcDeliver([t]);
		}, text)).catch(() => {});
		return conn.chain;
	}

	event(msg) {
		return Promise.all(this.connections.filter((c) => c.subscribed && !c.page.isClosed())
			.map((c) => this.deliver(c, msg)));
	}

	// The host's own events go to every view.
	hostEvent(msg) {
		return Promise.all(this.connections.filter((c) => !c.page.isClosed())
			.map((c) => this.deliver(c, msg)));
	}

	requests(type, surface) {
		return this.log.filter((e) => e.msg.type === type &&
			(surface === undefined || e.surface === surface)).map((e) => e.msg);
	}

	session(appId, state) {
		const id = String(this.nextSession++);
		const s = {
			...SESSION_TEMPLATE,
			id,
			app_id: appId,
			state,
			started_at: Date.now() + this.nextSession,
			capabilities: [],
		};
		delete s.app_shell_pid;
		delete s.launch_ms;
		delete s.reason;
		delete s.ended_at;
		if (state !== "starting") {
			s.app_shell_pid = 40000 + Number(id);
			s.launch_ms = 100;
		}
		this.sessions.set(id, s);
		return s;
	}

	// Fields appear as the capture shows them: app_shell_pid and launch_ms
	// once running, reason from stopping on, ended_at once ended.
	async setState(id, state, reason = "terminated") {
		const s = this.sessions.get(id);
		s.state = state;
		if (state !== "starting" && s.app_shell_pid === undefined) {
			s.app_shell_pid = 40000 + Number(id);
			s.launch_ms = Math.max(1, Date.now() - s.started_at);
		}
		if (state === "stopping" || state === "stopped" || state === "crashed") {
			s.reason = s.reason || (state === "crashed" ? "crashed" : reason);
		}
		if (state === "stopped" || state === "crashed") {
			s.ended_at = Date.now();
		}
		await this.event({ event: "state", session: { ...s } });
	}

	// A session started outside the shell (weftctl), announced by events.
	async start(appId, state = "running") {
		const s = this.session(appId, "starting");
		await this.event({ event: "state", session: { ...s } });
		if (state !== "starting") {
			await this.setState(s.id, state);
		}
		return s.id;
	}

	notify(fields) {
		return this.event({
			event: "notification",
			session_id: fields.session_id || "1",
			app_id: fields.app_id || NOTES,
			title: fields.title || "",
			body: fields.body || "",
			icon: fields.icon || "",
			...(fields.urgency ? { urgency: fields.urgency } : {}),
		});
	}

	async receive(conn, text) {
		const msg = JSON.parse(text);
		this.log.push({ surface: conn.surface, msg });
		if (this.gone && !String(msg.type).startsWith("shell.")) {
			return;
		}
		const reply = await this.answer(conn, msg);
		if (reply) {
			await this.deliver(conn, { id: msg.id, ...reply });
		}
	}

	async answer(conn, msg) {
		const live = () => [...this.sessions.values()]
			.filter((s) => !["stopped", "crashed"].includes(s.state));
		switch (msg.type) {
		case "subscribe":
			conn.subscribed = true;
			return { ok: true };
		case "apps": {
			const sorted = [...this.apps].sort((a, b) => (a.id < b.id ? -1 : 1));
			const after = sorted.filter((a) => msg.after === undefined || a.id > msg.after);
			const page = after.slice(0, msg.limit === undefined ? after.length : msg.limit);
			return { ok: true, apps: page, more: page.length < after.length };
		}
		case "sessions":
			return { ok: true, sessions: (msg.all ? [...this.sessions.values()] : live())
				.map((s) => ({ ...s })) };
		case "state": {
			const s = this.sessions.get(msg.session_id);
			return s ? { ok: true, session: { ...s } } :
				{ error: { code: "not_found", message: `no session ${msg.session_id}` } };
		}
		case "launch": {
			if (!this.apps.some((a) => a.id === msg.app_id)) {
				return { error: { code: "not_installed", message: `${msg.app_id} is not installed` } };
			}
			const s = this.session(msg.app_id, "starting");
			// As the capture shows: the event first, then the reply.
			await this.event({ event: "state", session: { ...s } });
			if (this.autoRun) {
				setTimeout(() => this.setState(s.id, "running"), 0);
			}
			return { ok: true, session: { ...s } };
		}
		case "terminate": {
			const s = this.sessions.get(msg.session_id);
			if (!s) {
				return { error: { code: "not_found", message: `no session ${msg.session_id}` } };
			}
			await this.setState(s.id, "stopping");
			setTimeout(() => this.setState(s.id, "stopped"), 0);
			return { ok: true, session: { ...s } };
		}
		case "shell.unlock":
			return msg.password === this.password ? { ok: true } :
				{ error: { code: "denied", message: "wrong password" } };
		case "shell.focus":
		case "shell.surface":
		case "shell.lock":
			return { ok: true };
		default:
			return { error: { code: "unknown_request", message: `unknown request ${msg.type}` } };
		}
	}
}

async function route(context) {
	await context.route(`${ORIGIN}/**`, (r) => {
		const url = new URL(r.request().url());
		const path = normalize(join(ROOT, decodeURIComponent(url.pathname)));
		if (!path.startsWith(ROOT + "/")) {
			return r.fulfill({ status: 403, body: "outside the tree" });
		}
		let body;
		try {
			body = readFileSync(path);
		} catch {
			return r.fulfill({ status: 404, body: "not found" });
		}
		return r.fulfill({ status: 200, body,
			headers: { "content-type": TYPES[extname(path)] || "application/octet-stream" } });
	});
}

// One view of the shell (surface "panel" or "overlay") in a context of its
// own, as weft-shell's two views are; ready once its first requests were
// answered.
export async function openShell(browser, appd, surface, options = {}) {
	const context = await browser.newContext({
		viewport: surface === "panel" ? { width: 1280, height: 40 } : { width: 1280, height: 720 },
		colorScheme: options.colorScheme || "light",
		reducedMotion: options.reducedMotion || "no-preference",
	});
	await route(context);
	const page = await context.newPage();
	const errors = [];
	page.on("pageerror", (e) => errors.push(String(e)));
	const conn = appd.connect(page, surface);
	await page.exposeBinding("__weftSend", (source, text) => appd.receive(conn, text));
	await page.addInitScript(SHIM);
	await page.goto(`${SHELL}?surface=${surface}`);
	await page.waitForSelector("body[data-ready=true]");
	return { page, context, conn, errors };
}

export async function openPage(browser, path, init) {
	const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
	await route(context);
	const page = await context.newPage();
	const errors = [];
	page.on("pageerror", (e) => errors.push(String(e)));
	if (init) {
		await page.addInitScript(init);
	}
	await page.goto(`${ORIGIN}/${path}`);
	return { page, context, errors };
}

// axe-core's violations on the page as it is now, one line each.
export async function axeViolations(page) {
	await page.addScriptTag({ path: AXE });
	const violations = await page.evaluate(async () => {
		const result = await window.axe.run(document, { resultTypes: ["violations"] });
		return result.violations.map((v) =>
			`${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
	});
	return violations;
}

// The page's focused element, through open shadow roots.
export function activeDescription(page) {
	return page.evaluate(() => {
		let el = document.activeElement;
		while (el && el.shadowRoot && el.shadowRoot.activeElement) {
			el = el.shadowRoot.activeElement;
		}
		if (!el) {
			return null;
		}
		return el.id || el.getAttribute("aria-label") || el.textContent.trim() || el.tagName;
	});
}
