// The panel: the strip the compositor keeps on top. A launcher button, one
// entry per running app (a click focuses it; its menu closes it), the
// current toast, and the status area: do-not-disturb, the notification
// count, lock, the clock.

import { append, appIcon, clear, h, hhmm, icon } from "./dom.js";
import { NotificationPolicy, History, Toasts, normalise } from "./notifications.js";

export class Panel {
	constructor(root, ipc, model, store) {
		this.ipc = ipc;
		this.model = model;
		this.store = store;
		this.policy = new NotificationPolicy();
		this.policy.dnd = store.get("dnd", false) === true;
		this.history = new History();
		this.locked = false;
		this.openMenu = null;

		this.launcherButton = h("button", {
			class: "icon-button launcher-button",
			type: "button",
			"aria-label": "Apps",
			"aria-keyshortcuts": "Meta",
			onclick: () => this.ipc.request({ type: "shell.surface", show: "launcher" }),
		}, icon("apps"));
		this.tasks = h("ul", { class: "tasks", "aria-label": "Running apps" });
		this.toastBox = h("div", { class: "toasts" });
		this.toastBox.hidden = true;
		this.toasts = new Toasts(this.toastBox, model);
		this.dndButton = h("button", {
			class: "icon-button",
			type: "button",
			"aria-label": "Do not disturb",
			onclick: () => this.setDnd(!this.policy.dnd),
		});
		this.bell = h("button", {
			class: "icon-button bell",
			type: "button",
			onclick: () => {
				this.history.markRead();
				this.ipc.request({ type: "shell.surface", show: "launcher" });
			},
		}, icon("bell"), h("span", { class: "badge", "aria-hidden": "true" }));
		this.lockButton = h("button", {
			class: "icon-button",
			type: "button",
			"aria-label": "Lock",
			"aria-keyshortcuts": "Meta+L",
			onclick: () => this.ipc.request({ type: "shell.lock" }),
		}, icon("lock"));
		this.clock = h("time", { class: "clock" });

		// The panel's document is only the panel: its main landmark, with a
		// heading for screen readers.
		append(root, [
			h("main", { class: "panel-main" },
				h("h1", { class: "visually-hidden" }, "Panel"),
				h("nav", { class: "panel", "aria-label": "Panel" },
					this.launcherButton, this.tasks, this.toastBox,
					h("div", { class: "status", role: "group", "aria-label": "Status" },
						this.dndButton, this.bell, this.lockButton, this.clock))),
		]);

		model.addEventListener("sessions", () => this.renderTasks());
		model.addEventListener("apps", () => this.renderTasks());
		model.addEventListener("crashed", (ev) => this.notify({
			app_id: ev.detail.app_id,
			title: this.model.appName(ev.detail.app_id) + " stopped unexpectedly",
			body: "",
		}));
		this.history.addEventListener("change", () => this.renderBell());
		ipc.on("notification", (msg) => this.notify(msg));
		ipc.on("shell.locked", (msg) => this.setLocked(msg.locked === true));
		ipc.on("shell.key", (msg) => {
			if (msg.action === "lock") {
				this.setLocked(true);
			}
		});
		ipc.on("shell.idle", () => this.setLocked(true));
		ipc.on("shell.focused", (msg) => model.focused(msg.session_id));
		document.addEventListener("keydown", (ev) => this.onKey(ev));
		document.addEventListener("click", (ev) => {
			if (this.openMenu && !this.openMenu.item.contains(ev.target)) {
				this.closeMenu(false);
			}
		});

		this.renderDnd();
		this.renderBell();
		this.renderTasks();
		this.tick();
	}

	notify(msg) {
		const n = normalise(msg, Date.now());
		this.history.add(n);
		const verdict = this.policy.decide(n);
		if (verdict === "toast") {
			this.toasts.push(n);
		} else if (verdict === "rate-limited" && this.policy.firstHold(n.appId)) {
			this.toasts.push({ ...n, title: "More notifications held back",
				body: "They are in the notification centre.", urgency: "low" });
		}
		return verdict;
	}

	setDnd(on) {
		this.policy.dnd = on;
		this.store.set("dnd", on);
		this.renderDnd();
	}

	renderDnd() {
		const on = this.policy.dnd;
		clear(this.dndButton);
		this.dndButton.append(icon("moon"));
		this.dndButton.setAttribute("aria-pressed", String(on));
		this.dndButton.classList.toggle("active", on);
	}

	renderBell() {
		const n = this.history.unread;
		this.bell.querySelector(".badge").textContent = n > 0 ? String(Math.min(n, 99)) : "";
		this.bell.setAttribute("aria-label",
			n > 0 ? `Notifications, ${n} new` : "Notifications");
	}

	setLocked(locked) {
		this.locked = locked;
		this.toasts.hideBodies = locked;
		document.body.classList.toggle("locked", locked);
		this.closeMenu(false);
		this.renderTasks();
	}

	renderTasks() {
		const focusedId = document.activeElement && document.activeElement.dataset ?
			document.activeElement.dataset.session : undefined;
		// An open menu stays open across a redraw (another app's state
		// change), with the focus where it was.
		const menuOf = this.openMenu ? this.openMenu.session : undefined;
		const menuFocused = this.openMenu ? this.openMenu.menu.contains(document.activeElement) :
			false;
		clear(this.tasks);
		this.openMenu = null;
		if (this.locked) {
			return;
		}
		for (const s of this.model.byStart()) {
			const name = this.model.appName(s.app_id);
			const label = s.state === "running" ? name : `${name} (${s.state})`;
			const item = h("li", { class: "task", "data-app-id": s.app_id, "data-state": s.state });
			const button = h("button", {
				class: "task-button",
				type: "button",
				"data-session": String(s.id),
				onclick: () => this.focus(s),
				oncontextmenu: (ev) => {
					ev.preventDefault();
					this.toggleMenu(item, s, name);
				},
			}, appIcon(s.app_id, name, 20), h("span", { class: "task-name" }, label));
			const more = h("button", {
				class: "icon-button task-more",
				type: "button",
				"aria-label": `${name}: menu`,
				"aria-haspopup": "menu",
				"aria-expanded": "false",
				"data-session": String(s.id) + "-menu",
				onclick: () => this.toggleMenu(item, s, name),
			}, icon("more"));
			item.append(button, more);
			this.tasks.append(item);
			if (menuOf === s.id) {
				this.toggleMenu(item, s, name, menuFocused);
			}
		}
		if (focusedId !== undefined) {
			const again = this.tasks.querySelector(`[data-session="${CSS.escape(focusedId)}"]`);
			if (again) {
				again.focus();
			}
		}
	}

	focus(s) {
		this.model.focused(s.id);
		this.ipc.request({ type: "shell.focus", session_id: s.id });
	}

	toggleMenu(item, s, name, takeFocus = true) {
		if (this.openMenu && this.openMenu.item === item) {
			this.closeMenu(true);
			return;
		}
		this.closeMenu(false);
		const close = h("button", {
			class: "menu-item destructive",
			type: "button",
			role: "menuitem",
			tabindex: "-1",
			onclick: () => {
				this.closeMenu(false);
				this.ipc.request({ type: "terminate", session_id: s.id });
			},
		}, icon("close"), "Close");
		const menu = h("div", {
			class: "menu",
			role: "menu",
			"aria-label": name,
			"aria-orientation": "horizontal",
		}, close);
		item.append(menu);
		item.querySelector(".task-more").setAttribute("aria-expanded", "true");
		this.openMenu = { item, menu, session: s.id };
		if (takeFocus) {
			close.focus();
		}
	}

	closeMenu(returnFocus) {
		if (!this.openMenu) {
			return;
		}
		const { item, menu } = this.openMenu;
		this.openMenu = null;
		menu.remove();
		const more = item.querySelector(".task-more");
		if (more) {
			more.setAttribute("aria-expanded", "false");
			if (returnFocus) {
				more.focus();
			}
		}
	}

	onKey(ev) {
		if (this.openMenu && ev.key === "Escape") {
			ev.preventDefault();
			this.closeMenu(true);
			return;
		}
		// Left and Right move between the panel's controls, as in a toolbar.
		if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") {
			return;
		}
		const controls = [...document.querySelectorAll(".panel button")]
			.filter((b) => !b.disabled && b.offsetParent !== null);
		const at = controls.indexOf(document.activeElement);
		if (at < 0) {
			return;
		}
		ev.preventDefault();
		const step = ev.key === "ArrowRight" ? 1 : -1;
		controls[(at + step + controls.length) % controls.length].focus();
	}

	tick() {
		const now = new Date();
		this.clock.textContent = hhmm(now);
		this.clock.setAttribute("datetime", now.toISOString());
		setTimeout(() => this.tick(), 60000 - (now.getSeconds() * 1000 + now.getMilliseconds()) + 50);
	}
}
