// The launcher: a search field that always has the focus, so that keys
// typed before the overlay is on screen land in it, and a grid of the
// installed apps (most used first) that the arrow keys move through and
// Enter launches. A listbox driven from the field (aria-activedescendant):
// the focus never leaves the field while choosing.

import { appIcon, h, icon } from "./dom.js";

// Lower is better; null when the app does not match.
export function matchScore(app, query) {
	if (!query) {
		return 0;
	}
	const q = query.toLowerCase();
	const name = app.name.toLowerCase();
	if (name.startsWith(q)) {
		return 0;
	}
	if (name.split(/[\s._-]+/u).some((w) => w.startsWith(q))) {
		return 1;
	}
	if (name.includes(q)) {
		return 2;
	}
	if (app.id.toLowerCase().split(".").some((w) => w.startsWith(q))) {
		return 3;
	}
	return null;
}

export class Launcher {
	constructor(root, overlay) {
		this.overlay = overlay;
		this.model = overlay.model;
		this.store = overlay.store;
		this.results = [];
		this.tiles = new Map(); // app id -> {el, key, app}
		this.selected = 0;
		this.usage = this.store.get("usage", {});
		if (typeof this.usage !== "object" || this.usage === null) {
			this.usage = {};
		}

		this.input = h("input", {
			id: "search",
			class: "search",
			type: "search",
			role: "combobox",
			"aria-label": "Search apps",
			"aria-expanded": "true",
			"aria-controls": "app-grid",
			"aria-autocomplete": "list",
			placeholder: "Type to search apps",
			autocomplete: "off",
			spellcheck: "false",
		});
		this.grid = h("ul", { id: "app-grid", class: "app-grid", role: "listbox",
			"aria-label": "Apps" });
		this.status = h("p", { class: "launcher-status", role: "status" });
		this.error = h("p", { class: "launcher-error", role: "alert" });
		root.append(
			h("div", { class: "search-row" }, icon("search"), this.input),
			this.error, this.grid, this.status);

		this.input.addEventListener("input", () => {
			this.selected = 0;
			this.render();
		});
		this.input.addEventListener("keydown", (ev) => this.onKey(ev));
		this.model.addEventListener("apps", () => this.render());
		this.render();
	}

	reset() {
		this.input.value = "";
		this.error.textContent = "";
		this.selected = 0;
		this.render();
	}

	rank() {
		const query = this.input.value.trim();
		const scored = [];
		for (const app of this.model.apps.values()) {
			const score = matchScore(app, query);
			if (score !== null) {
				scored.push({ app, score, uses: this.usage[app.id] || 0 });
			}
		}
		scored.sort((a, b) => a.score - b.score || b.uses - a.uses ||
			a.app.name.localeCompare(b.app.name) || (a.app.id < b.app.id ? -1 : 1));
		return scored.map((s) => s.app);
	}

	// An app's tile, made once and kept while the app is unchanged: a key
	// typed in the field only reorders, hides and marks kept tiles, so that
	// its frame is drawn in the same task with every icon already decoded
	// (a new <img> would load and be drawn again in a second frame).
	tile(app) {
		const key = JSON.stringify([app.name, app.description || ""]);
		let entry = this.tiles.get(app.id);
		if (!entry || entry.key !== key) {
			const el = h("li", {
				class: "app-tile",
				role: "option",
				"data-app-id": app.id,
				onclick: () => this.launch(entry.app),
			}, appIcon(app.id, app.name, 48), h("span", { class: "app-name" }, app.name));
			if (app.description) {
				el.title = app.description;
			}
			entry = { el, key, app };
			this.tiles.set(app.id, entry);
		}
		entry.app = app;
		return entry.el;
	}

	render() {
		this.results = this.rank();
		this.selected = Math.max(0, Math.min(this.selected, this.results.length - 1));
		const shown = new Set(this.results.map((app) => app.id));
		for (const [id, entry] of this.tiles) {
			if (!shown.has(id) || !this.model.apps.has(id)) {
				entry.el.remove();
				if (!this.model.apps.has(id)) {
					this.tiles.delete(id);
				}
			}
		}
		this.results.forEach((app, i) => {
			const option = this.tile(app);
			option.id = "app-" + i;
			option.setAttribute("aria-selected", String(i === this.selected));
			if (this.grid.children[i] !== option) {
				this.grid.insertBefore(option, this.grid.children[i] || null);
			}
		});
		while (this.grid.children.length > this.results.length) {
			this.grid.lastChild.remove();
		}
		if (this.results.length > 0) {
			this.input.setAttribute("aria-activedescendant", "app-" + this.selected);
		} else {
			this.input.removeAttribute("aria-activedescendant");
		}
		const query = this.input.value.trim();
		this.status.textContent = this.results.length === 0 ?
			(query ? `No app matches “${query}”` : "No apps installed") :
			(query ? `${this.results.length} of ${this.model.apps.size} apps` : "");
	}

	select(i) {
		if (this.results.length === 0) {
			return;
		}
		this.selected = (i + this.results.length) % this.results.length;
		for (const [n, el] of [...this.grid.children].entries()) {
			el.setAttribute("aria-selected", String(n === this.selected));
		}
		this.input.setAttribute("aria-activedescendant", "app-" + this.selected);
		const el = this.grid.children[this.selected];
		if (el && el.scrollIntoView) {
			el.scrollIntoView({ block: "nearest" });
		}
	}

	columns() {
		const tiles = [...this.grid.children];
		if (tiles.length === 0) {
			return 1;
		}
		const top = tiles[0].offsetTop;
		const n = tiles.findIndex((t) => t.offsetTop !== top);
		return n < 0 ? tiles.length : n;
	}

	onKey(ev) {
		if (ev.altKey || ev.ctrlKey || ev.metaKey) {
			return;
		}
		// Only the vertical moves need the layout (offsetTop): any other
		// key must not force one before the field's input event.
		const cols = ev.key === "ArrowDown" || ev.key === "ArrowUp" ? this.columns() : 1;
		switch (ev.key) {
		case "ArrowRight":
			this.select(this.selected + 1);
			break;
		case "ArrowLeft":
			this.select(this.selected - 1);
			break;
		case "ArrowDown":
			this.select(Math.min(this.selected + cols, this.results.length - 1));
			break;
		case "ArrowUp":
			this.select(Math.max(this.selected - cols, 0));
			break;
		case "Home":
			if (this.input.value !== "") {
				return;
			}
			this.select(0);
			break;
		case "End":
			if (this.input.value !== "") {
				return;
			}
			this.select(this.results.length - 1);
			break;
		case "Enter":
			if (this.results[this.selected]) {
				this.launch(this.results[this.selected]);
			}
			break;
		case "Escape":
			if (this.input.value !== "") {
				this.reset();
			} else {
				this.overlay.hide();
			}
			break;
		default:
			return;
		}
		ev.preventDefault();
	}

	async launch(app) {
		this.usage[app.id] = (this.usage[app.id] || 0) + 1;
		this.store.set("usage", this.usage);
		// The request first: appd starts the app while this page hides the
		// launcher and lays its grid out again, not after.
		const launched = this.overlay.ipc.request({ type: "launch", app_id: app.id });
		this.overlay.hide();
		const reply = await launched;
		if (reply.error) {
			const why = reply.error.message || reply.error.code || "error";
			this.overlay.show("launcher");
			this.error.textContent = `${app.name} could not start: ${why}`;
		}
	}
}
