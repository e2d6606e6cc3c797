// The app switcher: the running apps, most recently focused first. Alt+Tab
// opens it on the app before the current one; each further Tab moves on,
// Shift+Tab back; releasing Alt commits (the app gets the focus through
// shell.focus), Escape cancels. The arrow keys, Enter and a click work
// too, as does a three-finger horizontal swipe to open it.

import { appIcon, clear, h } from "./dom.js";

export class Switcher {
	constructor(root, overlay) {
		this.overlay = overlay;
		this.model = overlay.model;
		this.sessions = [];
		this.selected = 0;
		this.list = h("ul", {
			id: "switcher-list",
			class: "switcher-list",
			role: "listbox",
			tabindex: "0",
			"aria-label": "Switch to app",
			"aria-orientation": "horizontal",
		});
		this.empty = h("p", { class: "switcher-empty" }, "No apps are running");
		root.append(this.list, this.empty);
		this.list.addEventListener("keydown", (ev) => this.onKey(ev));
		this.model.addEventListener("sessions", () => {
			if (this.overlay.mode === "switcher") {
				const current = this.sessions[this.selected];
				this.sessions = this.model.byRecency();
				const at = current ? this.sessions.indexOf(current) : -1;
				this.render(at >= 0 ? at : this.selected);
			}
		});
	}

	get open() {
		return this.overlay.mode === "switcher" && this.overlay.shown;
	}

	// step: +1 (next) or -1 (previous), from the current app.
	start(step) {
		this.sessions = this.model.byRecency();
		const n = this.sessions.length;
		this.render(n === 0 ? 0 : ((step > 0 ? 1 : -1) + n) % n);
		this.overlay.show("switcher");
		this.list.focus();
	}

	move(step) {
		if (!this.open) {
			this.start(step);
			return;
		}
		const n = this.sessions.length;
		if (n > 0) {
			this.render((this.selected + step + n) % n);
		}
	}

	render(selected) {
		this.selected = Math.max(0, Math.min(selected, this.sessions.length - 1));
		clear(this.list);
		this.sessions.forEach((s, i) => {
			const name = this.model.appName(s.app_id);
			this.list.append(h("li", {
				id: "switch-" + i,
				class: "switch-item",
				role: "option",
				"aria-selected": String(i === this.selected),
				"data-session": String(s.id),
				onclick: () => {
					this.selected = i;
					this.commit();
				},
			}, appIcon(s.app_id, name, 64), h("span", { class: "app-name" }, name)));
		});
		this.empty.hidden = this.sessions.length > 0;
		this.list.hidden = this.sessions.length === 0;
		if (this.sessions.length > 0) {
			this.list.setAttribute("aria-activedescendant", "switch-" + this.selected);
		} else {
			this.list.removeAttribute("aria-activedescendant");
		}
	}

	commit() {
		if (this.overlay.mode !== "switcher") {
			return;
		}
		const s = this.sessions[this.selected];
		this.overlay.hide();
		if (s) {
			this.model.focused(s.id);
			this.overlay.ipc.request({ type: "shell.focus", session_id: s.id });
		}
	}

	cancel() {
		if (this.overlay.mode === "switcher") {
			this.overlay.hide();
		}
	}

	onKey(ev) {
		switch (ev.key) {
		case "ArrowRight":
		case "ArrowDown":
			this.move(1);
			break;
		case "Tab":
			this.move(ev.shiftKey ? -1 : 1);
			break;
		case "ArrowLeft":
		case "ArrowUp":
			this.move(-1);
			break;
		case "Enter":
		case " ":
			this.commit();
			break;
		case "Escape":
			this.cancel();
			break;
		default:
			return;
		}
		ev.preventDefault();
	}
}
