// Notifications (sys:notifications): appd's {"event": "notification",
// "session_id", "app_id", "title", "body", "icon", "urgency"} events.
// Every one goes into the history (the notification centre); whether it
// also shows as a toast is the policy's call: do-not-disturb holds toasts
// back, an app over its rate limit gets no more toasts until its window
// passes, and a critical one always shows, and stays until dismissed.
// App text only ever becomes Text nodes (dom.js). The event's "icon" (a
// name or path the app chose) is not loaded: the app's package icon
// stands for it.

import { appIcon, clear, h, hhmm, icon } from "./dom.js";

export const RATE_LIMIT = 3; // toasts per app ...
export const RATE_WINDOW_MS = 10000; // ... in this many ms
export const HISTORY_MAX = 200;
const TITLE_MAX = 200;
const BODY_MAX = 1000;
const TOAST_MS = { low: 4000, normal: 6000 };

function text(value, max) {
	if (typeof value !== "string") {
		return "";
	}
	const chars = [...value];
	return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : value;
}

export function normalise(msg, now) {
	const urgency = ["low", "normal", "critical"].includes(msg.urgency) ? msg.urgency : "normal";
	return {
		appId: typeof msg.app_id === "string" ? msg.app_id : "",
		sessionId: msg.session_id,
		title: text(msg.title, TITLE_MAX),
		body: text(msg.body, BODY_MAX),
		urgency,
		time: now,
	};
}

export class NotificationPolicy {
	constructor(now = () => Date.now()) {
		this.now = now;
		this.dnd = false;
		this.shown = new Map(); // app id -> times of its recent toasts
		this.held = new Map(); // app id -> when it was last told it is held back
	}

	// Whether this is the first notification of the app held back in its
	// window: the person is told once, not at each.
	firstHold(appId) {
		const now = this.now();
		const last = this.held.get(appId);
		if (last !== undefined && now - last < RATE_WINDOW_MS) {
			return false;
		}
		this.held.set(appId, now);
		return true;
	}

	// "toast", "dnd" or "rate-limited".
	decide(n) {
		if (n.urgency === "critical") {
			return "toast";
		}
		if (this.dnd) {
			return "dnd";
		}
		const now = this.now();
		const times = (this.shown.get(n.appId) || []).filter((t) => now - t < RATE_WINDOW_MS);
		if (times.length >= RATE_LIMIT) {
			this.shown.set(n.appId, times);
			return "rate-limited";
		}
		times.push(now);
		this.shown.set(n.appId, times);
		return "toast";
	}
}

export class History extends EventTarget {
	constructor() {
		super();
		this.items = [];
		this.unread = 0;
	}

	add(n) {
		this.items.unshift(n);
		this.items.length = Math.min(this.items.length, HISTORY_MAX);
		this.unread++;
		this.dispatchEvent(new Event("change"));
	}

	remove(n) {
		this.items = this.items.filter((item) => item !== n);
		this.dispatchEvent(new Event("change"));
	}

	clear() {
		this.items = [];
		this.unread = 0;
		this.dispatchEvent(new Event("change"));
	}

	markRead() {
		this.unread = 0;
		this.dispatchEvent(new Event("change"));
	}
}

function when(time) {
	return hhmm(new Date(time));
}

// One notification's content, shared by toasts and the centre.
export function notificationBody(n, model, iconSize) {
	const appName = model.appName(n.appId);
	return [
		appIcon(n.appId, appName, iconSize),
		h("span", { class: "note-text" },
			h("span", { class: "note-app" }, appName),
			h("strong", { class: "note-title" }, n.title),
			n.body ? h("span", { class: "note-body" }, n.body) : null),
	];
}

// The panel's toasts: one at a time, the rest queued; a critical one goes
// first and stays until dismissed.
export class Toasts {
	constructor(container, model) {
		this.container = container;
		this.model = model;
		this.queue = [];
		this.current = null;
		this.timer = 0;
		this.hideBodies = false;
	}

	push(n) {
		if (n.urgency === "critical") {
			this.queue.unshift(n);
			if (this.current && this.current.urgency !== "critical") {
				this.next();
				return;
			}
		} else {
			this.queue.push(n);
			this.queue.length = Math.min(this.queue.length, 20);
		}
		if (!this.current) {
			this.next();
		}
	}

	next() {
		clearTimeout(this.timer);
		clear(this.container);
		this.current = this.queue.shift() || null;
		if (!this.current) {
			this.container.hidden = true;
			return;
		}
		const n = this.current;
		const critical = n.urgency === "critical";
		const content = this.hideBodies ?
			[h("span", { class: "note-text" },
				h("span", { class: "note-app" }, this.model.appName(n.appId)),
				h("strong", { class: "note-title" }, "New notification"))] :
			notificationBody(n, this.model, 20);
		const toast = h("div", {
			class: "toast" + (critical ? " critical" : ""),
			role: critical ? "alert" : "status",
			"data-urgency": n.urgency,
		}, content, h("button", {
			class: "icon-button",
			type: "button",
			"aria-label": "Dismiss notification",
			onclick: () => this.next(),
		}, icon("close")));
		this.container.append(toast);
		this.container.hidden = false;
		if (!critical) {
			this.timer = setTimeout(() => this.next(), TOAST_MS[n.urgency] || TOAST_MS.normal);
		}
	}
}

// The centre: the history, newest first, in the overlay beside the launcher.
export class Centre {
	constructor(container, model, history) {
		this.model = model;
		this.history = history;
		this.list = h("ul", { class: "note-list", "aria-label": "Notification history" });
		this.empty = h("p", { class: "note-empty" }, "No notifications");
		this.clearButton = h("button", {
			class: "text-button",
			type: "button",
			onclick: () => this.history.clear(),
		}, icon("clear"), "Clear all");
		container.append(
			h("div", { class: "centre-head" },
				h("h2", { id: "centre-title" }, "Notifications"), this.clearButton),
			this.empty, this.list);
		history.addEventListener("change", () => this.render());
		model.addEventListener("apps", () => this.render());
		this.render();
	}

	render() {
		clear(this.list);
		const items = this.history.items;
		this.empty.hidden = items.length > 0;
		this.list.hidden = items.length === 0;
		this.clearButton.disabled = items.length === 0;
		for (const n of items) {
			this.list.append(h("li", { class: "note" + (n.urgency === "critical" ? " critical" : "") },
				notificationBody(n, this.model, 28),
				h("time", { class: "note-time", datetime: new Date(n.time).toISOString() },
					when(n.time)),
				h("button", {
					class: "icon-button",
					type: "button",
					"aria-label": "Remove notification: " + n.title,
					onclick: () => this.history.remove(n),
				}, icon("close"))));
		}
	}
}
