// The launcher: a search field that always has the focus, so that keys
// typed before the overlay is on screen land in it, and a grid of the
// installed apps (most used first) that the arrow keys move through and
// Enter launches. A listbox driven from the field (aria-activedescendant):
// the focus never leaves the field while choosing.

import { appIcon, clear, h, icon } from "./dom.js";

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

	render() {
		this.results = this.rank();
		this.selected = Math.max(0, Math.min(this.selected, this.results.length - 1));
		clear(this.grid);
		this.results.forEach((app, i) => {
			const option = h("li", {
				id: "app-" + i,
				class: "app-tile",
				role: "option",
				"aria-selected": String(i === this.selected),
				"data-app-id": app.id,
				onclick: () => this.launch(app),
			}, appIcon(app.id, app.name, 48), h("span", { class: "app-name" }, app.name));
			if (app.description) {
				option.title = app.description;
			}
			this.grid.append(option);
		});
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
		const cols = this.columns();
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
