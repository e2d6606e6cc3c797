// The overlay: the full-screen surface weft-shell maps on request
// (shell.surface) for the launcher (with the notification centre beside
// it), the switcher and the lock screen. Everything is built when the page
// loads, so showing it is only a mapped surface and a class change. While
// hidden it is in launcher mode with the search field focused: whatever is
// typed between the key and the surface appearing is kept.

import { h } from "./dom.js";
import { Launcher } from "./launcher.js";
import { Switcher } from "./switcher.js";
import { LockScreen } from "./lock.js";
import { Centre, History, normalise } from "./notifications.js";

const SWIPE_MIN = 40; // surface-local units of travel for a swipe to count

export class Overlay {
	constructor(root, ipc, model, store) {
		this.ipc = ipc;
		this.model = model;
		this.store = store;
		this.mode = "launcher";
		this.shown = false;
		this.locked = false;
		this.history = new History();

		const launcherBox = h("section", { class: "launcher", "aria-label": "Launcher" });
		const centreBox = h("section", { class: "centre", "aria-labelledby": "centre-title" });
		this.screens = {
			launcher: h("div", { class: "screen launcher-screen", "data-screen": "launcher" },
				h("main", { class: "launcher-main" },
					h("h1", { class: "visually-hidden" }, "Launcher"), launcherBox), centreBox),
			switcher: h("div", { class: "screen switcher-screen", "data-screen": "switcher",
				role: "dialog", "aria-label": "Switch apps" }),
			lock: h("main", { class: "screen lock-screen", "data-screen": "lock",
				"aria-label": "Lock screen" }),
		};
		root.append(this.screens.launcher, this.screens.switcher, this.screens.lock);
		this.launcher = new Launcher(launcherBox, this);
		this.centre = new Centre(centreBox, model, this.history);
		this.switcher = new Switcher(this.screens.switcher, this);
		this.lockScreen = new LockScreen(this.screens.lock, this);

		ipc.on("shell.key", (msg) => this.onShellKey(msg.action));
		ipc.on("shell.idle", () => this.lock());
		ipc.on("shell.locked", (msg) => {
			if (msg.locked === true) {
				this.lock();
			} else if (msg.locked === false && this.locked) {
				this.unlocked();
			}
		});
		ipc.on("shell.focused", (msg) => model.focused(msg.session_id));
		ipc.on("notification", (msg) => this.history.add(normalise(msg, Date.now())));
		window.addEventListener("weft-navigation-gesture", (ev) => this.onGesture(ev.detail));
		document.addEventListener("keydown", (ev) => this.onKey(ev), true);
		document.addEventListener("focusout", () => setTimeout(() => this.keepFocus()));
		this.screens.launcher.addEventListener("click", (ev) => {
			if (ev.target === this.screens.launcher) {
				this.hide();
			}
		});
		this.screens.switcher.addEventListener("click", (ev) => {
			if (ev.target === this.screens.switcher) {
				this.switcher.cancel();
			}
		});
		this.setMode("launcher");
		this.launcher.input.focus();
	}

	setMode(mode) {
		this.mode = mode;
		document.body.dataset.mode = mode;
		for (const [name, el] of Object.entries(this.screens)) {
			el.hidden = name !== mode;
		}
	}

	show(mode) {
		if (this.locked && mode !== "lock") {
			return;
		}
		this.setMode(mode);
		this.shown = true;
		this.ipc.request({ type: "shell.surface", show: mode });
		if (mode === "launcher") {
			this.history.markRead();
			this.launcher.input.focus();
		}
	}

	hide() {
		if (this.locked) {
			return;
		}
		this.shown = false;
		this.ipc.request({ type: "shell.surface", show: "none" });
		this.setMode("launcher");
		this.launcher.reset();
		this.launcher.input.focus();
	}

	lock() {
		if (this.locked) {
			return;
		}
		this.locked = true;
		this.setMode("lock");
		this.shown = true;
		// shell.lock has the compositor lock the session (ext-session-lock,
		// which outlives this page); the overlay then shows this screen.
		// Asking again when the host already holds the lock is harmless.
		this.ipc.request({ type: "shell.lock" });
		this.ipc.request({ type: "shell.surface", show: "lock" });
		this.lockScreen.enter();
	}

	unlocked() {
		this.locked = false;
		this.hide();
	}

	onShellKey(action) {
		if (this.locked) {
			return;
		}
		switch (action) {
		case "launcher":
			if (this.shown && this.mode === "launcher") {
				this.hide();
			} else {
				this.show("launcher");
			}
			break;
		case "switcher-next":
			this.switcher.move(1);
			break;
		case "switcher-prev":
			this.switcher.move(-1);
			break;
		case "switcher-commit":
			this.switcher.commit();
			break;
		case "switcher-cancel":
			this.switcher.cancel();
			break;
		case "lock":
			this.lock();
			break;
		default:
			break;
		}
	}

	onGesture(g) {
		if (!g || this.locked) {
			return;
		}
		const swipe = g.type === 0 || g.type === "swipe" || g.gesture_type === "swipe";
		const dx = Number(g.dx) || 0;
		const dy = Number(g.dy) || 0;
		if (swipe && Number(g.fingers) >= 3 && Math.abs(dx) > Math.abs(dy) &&
			Math.abs(dx) >= SWIPE_MIN) {
			this.switcher.move(dx > 0 ? 1 : -1);
		}
	}

	// Type-to-search: a printable key with the focus anywhere else in the
	// launcher goes to the search field.
	onKey(ev) {
		if (this.mode !== "launcher") {
			return;
		}
		const target = ev.target;
		if (ev.key === "Escape" && target !== this.launcher.input) {
			ev.preventDefault();
			this.hide();
			return;
		}
		if (target !== this.launcher.input && ev.key.length === 1 && !ev.ctrlKey &&
			!ev.altKey && !ev.metaKey && !(target instanceof HTMLInputElement)) {
			// The key is typed here: an engine need not send a key to an
			// element focused during its keydown (Servo does not).
			ev.preventDefault();
			const input = this.launcher.input;
			input.focus();
			input.value += ev.key;
			input.dispatchEvent(new Event("input", { bubbles: true }));
		}
	}

	keepFocus() {
		const active = document.activeElement;
		if (active && active !== document.body) {
			return;
		}
		if (this.mode === "launcher") {
			this.launcher.input.focus();
		} else if (this.mode === "lock") {
			this.lockScreen.password.focus();
		} else if (this.mode === "switcher") {
			this.switcher.list.focus();
		}
	}
}
