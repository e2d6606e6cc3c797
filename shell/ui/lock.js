// The lock screen. The compositor keeps the session locked (and shows
// nothing of the apps) whether or not this page lives; this page only asks
// for the password and hands it to weft-shell (shell.unlock), which checks
// it (PAM; a refusal is the error code "denied"). Until the host says the session is unlocked, nothing else of the
// overlay can be reached.

import { h, hhmm, icon } from "./dom.js";

export class LockScreen {
	constructor(root, overlay) {
		this.overlay = overlay;
		this.busy = false;
		this.clock = h("time", { class: "lock-clock" });
		this.date = h("p", { class: "lock-date" });
		this.password = h("input", {
			id: "lock-password",
			type: "password",
			autocomplete: "current-password",
			"aria-describedby": "lock-error",
		});
		this.error = h("p", { id: "lock-error", class: "lock-error", role: "alert" });
		this.button = h("button", { type: "submit", class: "unlock-button" }, "Unlock");
		this.form = h("form", { class: "lock-form", "aria-label": "Unlock" },
			h("label", { for: "lock-password" }, "Password"),
			h("div", { class: "lock-row" }, this.password, this.button),
			this.error);
		this.form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			this.submit();
		});
		root.append(
			h("div", { class: "lock-top" }, icon("lock"), h("h1", {}, "Locked")),
			this.clock, this.date, this.form);
		this.tick();
	}

	enter() {
		this.error.textContent = "";
		this.password.value = "";
		this.password.focus();
	}

	async submit() {
		if (this.busy) {
			return;
		}
		this.busy = true;
		this.button.disabled = true;
		const reply = await this.overlay.ipc.request({
			type: "shell.unlock",
			password: this.password.value,
		});
		this.busy = false;
		this.button.disabled = false;
		this.password.value = "";
		if (reply.ok) {
			this.overlay.unlocked();
			return;
		}
		const e = reply.error || {};
		this.error.textContent = e.code === "denied" || !e.message ?
			"Wrong password. Try again." : e.message;
		this.password.focus();
	}

	tick() {
		const now = new Date();
		this.clock.textContent = hhmm(now);
		this.clock.setAttribute("datetime", now.toISOString());
		this.date.textContent = now.toLocaleDateString([], {
			weekday: "long", month: "long", day: "numeric",
		});
		setTimeout(() => this.tick(), 60000 - (now.getSeconds() * 1000 + now.getMilliseconds()) + 50);
	}
}
