// weft-ui-kit.js: WEFT's UI kit for app pages, one plain module, no build.
//
//   <script type="module" src="/.weft/kit/weft-ui-kit.js"></script>
//
// (served to each app under its scheme's reserved /.weft/ path; the
// embedder decides the exact one)
//
// The elements of WEFT OS's kit, under the same names and attributes, so
// that its app UIs work: weft-button, weft-card, weft-dialog, weft-icon,
// weft-list / weft-list-item, weft-menu / weft-menu-item, weft-progress,
// weft-input, weft-label. Each carries its ARIA role and handles its keys;
// the dialog traps the focus, closes on Escape and gives the focus back;
// weft-input takes part in forms.
//
// Written for Servo 0.7 as well as the usual engines, so it detects rather
// than assumes: constructable style sheets (behind a pref, off, in Servo
// 0.7) fall back to a <style> in each shadow root; ElementInternals
// (form-associated custom elements) falls back to a hidden native input
// beside the element; `inert` (absent in Servo 0.7) is not used, the
// dialog keeps the focus itself; delegatesFocus (parsed but not acted on
// in Servo 0.7) is not relied on, focus() is forwarded by hand. Roles go on
// the host element, not on ElementInternals (no ARIA there in Servo 0.7).
// Focus rings are drawn on :focus, hidden by :focus:not(:focus-visible), so
// that an engine without :focus-visible still shows them.
// Nothing here parses HTML: text is set as text.

const SVG = "http://www.w3.org/2000/svg";

const canAdopt = (() => {
	try {
		return "adoptedStyleSheets" in ShadowRoot.prototype &&
			typeof new CSSStyleSheet().replaceSync === "function";
	} catch {
		return false;
	}
})();

const canInternals = typeof HTMLElement.prototype.attachInternals === "function" &&
	typeof window.ElementInternals === "function" &&
	"setFormValue" in window.ElementInternals.prototype;

export const support = { adoptedStyleSheets: canAdopt, elementInternals: canInternals };

const TOKENS = `
:host {
	--weft-accent: #1f5fbf;
	--weft-accent-fg: #ffffff;
	--weft-fg: #16181d;
	--weft-muted: #4a5060;
	--weft-surface: #ffffff;
	--weft-raised: #f4f5f7;
	--weft-border: #aab1bf;
	--weft-danger: #b3261e;
	--weft-danger-fg: #ffffff;
	--weft-success: #1b6e35;
	--weft-warning: #8a5300;
	--weft-focus: #1f5fbf;
	--weft-radius: 8px;
	--weft-speed: 120ms;
	font-family: inherit;
}
@media (prefers-color-scheme: dark) {
	:host {
		--weft-accent: #8ab4f8;
		--weft-accent-fg: #0b1b33;
		--weft-fg: #eceef3;
		--weft-muted: #b4bac7;
		--weft-surface: #242832;
		--weft-raised: #1d2027;
		--weft-border: #5d6475;
		--weft-danger: #f2b8b5;
		--weft-danger-fg: #3c0d0a;
		--weft-success: #8fd6a2;
		--weft-warning: #f4c07a;
		--weft-focus: #8ab4f8;
	}
}
@media (prefers-reduced-motion: reduce) {
	:host, :host * {
		transition: none !important;
		animation: none !important;
	}
}
:host([hidden]) {
	display: none !important;
}
`;

const sheets = new Map();

// The element's styles in its shadow root, shared where the engine can.
function styled(root, css) {
	const text = TOKENS + css;
	if (canAdopt) {
		let sheet = sheets.get(text);
		if (!sheet) {
			sheet = new CSSStyleSheet();
			sheet.replaceSync(text);
			sheets.set(text, sheet);
		}
		root.adoptedStyleSheets = [sheet];
		return;
	}
	const style = document.createElement("style");
	style.textContent = text;
	root.append(style);
}

function shadow(host, css, ...children) {
	const root = host.attachShadow({ mode: "open" });
	styled(root, css);
	root.append(...children);
	return root;
}

function el(tag, attrs = {}, ...children) {
	const node = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		node.setAttribute(k, v);
	}
	node.append(...children);
	return node;
}

function setDefault(host, name, value) {
	if (!host.hasAttribute(name)) {
		host.setAttribute(name, value);
	}
}

function uid(prefix) {
	uid.n = (uid.n || 0) + 1;
	return `${prefix}-${uid.n}`;
}

// ---- icons ----------------------------------------------------------------

// 24×24 outlines, stroked with currentColor.
export const ICONS = {
	add: ["M12 5v14", "M5 12h14"],
	remove: ["M5 12h14"],
	close: ["M6 6l12 12", "M18 6L6 18"],
	check: ["M5 12.5l4.5 4.5L19 7"],
	menu: ["M4 6h16", "M4 12h16", "M4 18h16"],
	more: ["M5 12h.01", "M12 12h.01", "M19 12h.01"],
	search: ["M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z", "M15.5 15.5L20 20"],
	"arrow-left": ["M19 12H5", "M11 6l-6 6l6 6"],
	"arrow-right": ["M5 12h14", "M13 6l6 6l-6 6"],
	"arrow-up": ["M12 19V5", "M6 11l6-6l6 6"],
	"arrow-down": ["M12 5v14", "M6 13l6 6l6-6"],
	"chevron-left": ["M15 6l-6 6l6 6"],
	"chevron-right": ["M9 6l6 6l-6 6"],
	"chevron-up": ["M6 15l6-6l6 6"],
	"chevron-down": ["M6 9l6 6l6-6"],
	home: ["M4 11l8-7l8 7", "M6 10v10h12V10", "M10 20v-5h4v5"],
	settings: ["M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z",
		"M12 3v3", "M12 18v3", "M3 12h3", "M18 12h3",
		"M5.6 5.6l2.1 2.1", "M16.3 16.3l2.1 2.1", "M5.6 18.4l2.1-2.1", "M16.3 7.7l2.1-2.1"],
	edit: ["M4 20h4L19 9l-4-4L4 16z", "M13 7l4 4"],
	trash: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13", "M10 11v6", "M14 11v6"],
	save: ["M5 4h11l3 3v13H5z", "M8 4v5h7V4", "M8 20v-6h8v6"],
	refresh: ["M20 12a8 8 0 1 1-2.3-5.7", "M20 4v5h-5"],
	info: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M12 11v6", "M12 7.5h.01"],
	warning: ["M12 4L2.5 20h19z", "M12 10v4.5", "M12 17.5h.01"],
	error: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M9 9l6 6", "M15 9l-6 6"],
	success: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M8 12.5l3 3l5-6"],
	bell: ["M6 16V11a6 6 0 0 1 12 0v5l2 2H4z", "M10 20a2 2 0 0 0 4 0"],
	lock: ["M6 11h12v9H6z", "M8 11V8a4 4 0 0 1 8 0v3"],
	unlock: ["M6 11h12v9H6z", "M8 11V8a4 4 0 0 1 7.5-2"],
	user: ["M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8z", "M4 20a8 8 0 0 1 16 0"],
	folder: ["M3 6h6l2 2h10v11H3z"],
	file: ["M6 3h8l4 4v14H6z", "M14 3v4h4"],
	download: ["M12 4v11", "M7 10l5 5l5-5", "M5 20h14"],
	upload: ["M12 20V9", "M7 14l5-5l5 5", "M5 4h14"],
	copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
	share: ["M12 3v12", "M7 8l5-5l5 5", "M5 12v8h14v-8"],
	play: ["M7 4l13 8l-13 8z"],
	pause: ["M7 5h3v14H7z", "M14 5h3v14h-3z"],
	stop: ["M6 6h12v12H6z"],
	star: ["M12 3l2.8 5.8l6.2.9l-4.5 4.4l1.1 6.2L12 17.4l-5.6 2.9l1.1-6.2L3 9.7l6.2-.9z"],
	heart: ["M12 20s-7-4.4-9-9a4.8 4.8 0 0 1 9-3a4.8 4.8 0 0 1 9 3c-2 4.6-9 9-9 9z"],
	calendar: ["M4 6h16v14H4z", "M4 10h16", "M8 3v5", "M16 3v5"],
	clock: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M12 7v5l3 3"],
	mail: ["M3 6h18v12H3z", "M3 7l9 6l9-6"],
	link: ["M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1",
		"M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"],
	eye: ["M2 12s3.6-7 10-7s10 7 10 7s-3.6 7-10 7S2 12 2 12z", "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z"],
	power: ["M12 3v9", "M6.3 6.3a8 8 0 1 0 11.4 0"],
	apps: ["M4 4h6v6H4z", "M14 4h6v6h-6z", "M4 14h6v6H4z", "M14 14h6v6h-6z"],
};

export function iconSvg(name, size) {
	const svg = document.createElementNS(SVG, "svg");
	svg.setAttribute("viewBox", "0 0 24 24");
	svg.setAttribute("width", String(size));
	svg.setAttribute("height", String(size));
	svg.setAttribute("fill", "none");
	svg.setAttribute("stroke", "currentColor");
	svg.setAttribute("stroke-width", "2");
	svg.setAttribute("stroke-linecap", "round");
	svg.setAttribute("stroke-linejoin", "round");
	svg.setAttribute("aria-hidden", "true");
	svg.setAttribute("focusable", "false");
	for (const d of ICONS[name] || []) {
		const path = document.createElementNS(SVG, "path");
		path.setAttribute("d", d);
		svg.append(path);
	}
	return svg;
}

class WeftIcon extends HTMLElement {
	static get observedAttributes() {
		return ["name", "size", "label"];
	}

	constructor() {
		super();
		this.root = shadow(this, `
			:host { display: inline-flex; vertical-align: middle; line-height: 0; }
			svg { display: block; }
		`);
	}

	connectedCallback() {
		this.render();
	}

	attributeChangedCallback() {
		this.render();
	}

	render() {
		const size = Number(this.getAttribute("size")) || 24;
		const old = this.root.querySelector("svg");
		if (old) {
			old.remove();
		}
		this.root.append(iconSvg(this.getAttribute("name") || "", size));
		const label = this.getAttribute("label");
		if (label) {
			this.setAttribute("role", "img");
			this.setAttribute("aria-label", label);
			this.removeAttribute("aria-hidden");
		} else {
			this.removeAttribute("role");
			this.removeAttribute("aria-label");
			this.setAttribute("aria-hidden", "true");
		}
	}
}

// ---- button ---------------------------------------------------------------

class WeftButton extends HTMLElement {
	static get observedAttributes() {
		return ["disabled", "label"];
	}

	constructor() {
		super();
		shadow(this, `
			:host {
				display: inline-flex;
				align-items: center;
				justify-content: center;
				gap: 6px;
				min-height: 36px;
				padding: 0 14px;
				border: 1px solid transparent;
				border-radius: var(--weft-radius);
				background: var(--weft-accent);
				color: var(--weft-accent-fg);
				font: inherit;
				cursor: pointer;
				user-select: none;
				box-sizing: border-box;
				transition: filter var(--weft-speed);
			}
			:host(:hover) { filter: brightness(1.08); }
			:host(:focus) { outline: 2px solid var(--weft-focus); outline-offset: 2px; }
			:host(:focus:not(:focus-visible)) { outline: none; }
			:host([variant="secondary"]) {
				background: var(--weft-surface);
				color: var(--weft-fg);
				border-color: var(--weft-border);
			}
			:host([variant="destructive"]) {
				background: var(--weft-danger);
				color: var(--weft-danger-fg);
			}
			:host([disabled]) { opacity: 0.55; cursor: default; filter: none; }
		`, el("slot"));
		this.addEventListener("keydown", (ev) => {
			if (ev.key === "Enter") {
				ev.preventDefault();
				this.click();
			} else if (ev.key === " ") {
				ev.preventDefault();
			}
		});
		this.addEventListener("keyup", (ev) => {
			if (ev.key === " ") {
				ev.preventDefault();
				this.click();
			}
		});
		this.addEventListener("click", (ev) => {
			if (this.disabled) {
				ev.preventDefault();
				ev.stopImmediatePropagation();
				return;
			}
			const form = this.closest("form");
			const type = this.getAttribute("type");
			if (form && type === "submit") {
				form.requestSubmit();
			} else if (form && type === "reset") {
				form.reset();
			}
		});
	}

	get disabled() {
		return this.hasAttribute("disabled");
	}

	set disabled(value) {
		this.toggleAttribute("disabled", Boolean(value));
	}

	connectedCallback() {
		setDefault(this, "role", "button");
		this.sync();
	}

	attributeChangedCallback() {
		this.sync();
	}

	sync() {
		if (this.disabled) {
			this.setAttribute("aria-disabled", "true");
			this.removeAttribute("tabindex");
		} else {
			this.removeAttribute("aria-disabled");
			this.setAttribute("tabindex", "0");
		}
		const label = this.getAttribute("label");
		if (label) {
			this.setAttribute("aria-label", label);
		}
	}
}

// ---- card -----------------------------------------------------------------

class WeftCard extends HTMLElement {
	static get observedAttributes() {
		return ["label"];
	}

	constructor() {
		super();
		shadow(this, `
			:host {
				display: block;
				padding: 16px;
				border: 1px solid var(--weft-border);
				border-radius: 12px;
				background: var(--weft-surface);
				color: var(--weft-fg);
			}
		`, el("slot"));
	}

	connectedCallback() {
		this.attributeChangedCallback();
	}

	// A card with a label is a named group; one without is only a box.
	attributeChangedCallback() {
		const label = this.getAttribute("label");
		if (label) {
			this.setAttribute("role", "group");
			this.setAttribute("aria-label", label);
		}
	}
}

// ---- label ----------------------------------------------------------------

// A status label (variant success, warning, error, neutral). With `for`, it
// also names that control, as a <label> would.
class WeftLabel extends HTMLElement {
	constructor() {
		super();
		shadow(this, `
			:host {
				display: inline-block;
				padding: 1px 8px;
				border-radius: 999px;
				border: 1px solid var(--weft-border);
				color: var(--weft-fg);
				font-size: 0.9em;
			}
			:host([variant="success"]) { color: var(--weft-success); border-color: currentColor; }
			:host([variant="warning"]) { color: var(--weft-warning); border-color: currentColor; }
			:host([variant="error"]) { color: var(--weft-danger); border-color: currentColor; }
			:host([for]) { border: 0; padding: 0; border-radius: 0; font-size: inherit; }
		`, el("slot"));
		this.addEventListener("click", () => {
			const target = this.target();
			if (target) {
				target.focus();
			}
		});
	}

	target() {
		const id = this.getAttribute("for");
		return id ? document.getElementById(id) : null;
	}

	connectedCallback() {
		const target = this.target();
		if (target && typeof target.labelChanged === "function") {
			target.labelChanged();
		}
	}
}

// ---- input ----------------------------------------------------------------

const INPUT_ATTRS = ["type", "placeholder", "disabled", "required", "readonly", "minlength",
	"maxlength", "pattern", "autocomplete", "min", "max", "step", "inputmode"];

class WeftInput extends HTMLElement {
	static get formAssociated() {
		return true;
	}

	static get observedAttributes() {
		return [...INPUT_ATTRS, "name", "value", "label", "aria-label"];
	}

	constructor() {
		super();
		this.input = el("input", { part: "input" });
		shadow(this, `
			:host { display: inline-block; min-width: 12em; }
			input {
				width: 100%;
				min-height: 36px;
				padding: 0 10px;
				box-sizing: border-box;
				border: 1px solid var(--weft-border);
				border-radius: var(--weft-radius);
				background: var(--weft-surface);
				color: var(--weft-fg);
				font: inherit;
			}
			input:focus { outline: 2px solid var(--weft-focus); outline-offset: 1px; }
			input:disabled { opacity: 0.55; }
			:host([invalid]) input { border-color: var(--weft-danger); }
		`, this.input);
		this.internals = null;
		if (canInternals) {
			try {
				this.internals = this.attachInternals();
			} catch {
				this.internals = null;
			}
		}
		// Without ElementInternals, a hidden native input beside it (in the
		// light DOM, so its form sees it) carries the name and value.
		this.shadowInput = null;
		this.defaultValue = "";
		this.input.addEventListener("input", () => {
			this.update();
			this.dispatchEvent(new CustomEvent("weft:input", {
				bubbles: true, composed: true, detail: { value: this.input.value },
			}));
		});
		// Enter submits the form, as in a native text field (the inner
		// input is in a shadow tree, outside the form).
		this.input.addEventListener("keydown", (ev) => {
			const form = this.closest("form");
			if (ev.key === "Enter" && form && !ev.defaultPrevented) {
				ev.preventDefault();
				form.requestSubmit();
			}
		});
		this.input.addEventListener("change", () => {
			this.dispatchEvent(new Event("change", { bubbles: true }));
		});
		this.onFormSubmit = (ev) => {
			// Hidden inputs are not validated: check this one by hand.
			if (!this.internals && !this.input.disabled && !this.input.checkValidity()) {
				ev.preventDefault();
				ev.stopImmediatePropagation();
				this.input.reportValidity();
			}
		};
		this.onFormReset = () => setTimeout(() => this.formResetCallback());
	}

	connectedCallback() {
		if (!this.internals && !this.shadowInput) {
			this.shadowInput = document.createElement("input");
			this.shadowInput.type = "hidden";
			this.append(this.shadowInput);
		}
		this.form_ = this.closest("form");
		if (this.form_ && !this.internals) {
			this.form_.addEventListener("submit", this.onFormSubmit, true);
			this.form_.addEventListener("reset", this.onFormReset);
		}
		for (const name of this.constructor.observedAttributes) {
			this.attributeChangedCallback(name);
		}
		this.labelChanged();
	}

	disconnectedCallback() {
		if (this.form_) {
			this.form_.removeEventListener("submit", this.onFormSubmit, true);
			this.form_.removeEventListener("reset", this.onFormReset);
			this.form_ = null;
		}
	}

	attributeChangedCallback(name) {
		if (INPUT_ATTRS.includes(name)) {
			const value = this.getAttribute(name);
			if (value === null) {
				this.input.removeAttribute(name);
			} else {
				this.input.setAttribute(name, value);
			}
		} else if (name === "value") {
			this.defaultValue = this.getAttribute("value") || "";
			if (!this.dirty) {
				this.input.value = this.defaultValue;
			}
		} else if (name === "label" || name === "aria-label") {
			this.labelChanged();
		}
		this.update();
	}

	// The inner input's accessible name: label, aria-label, or the text of
	// a <label for> / <weft-label for> naming this element.
	labelChanged() {
		let text = this.getAttribute("label") || this.getAttribute("aria-label");
		if (!text && this.id) {
			const labels = document.querySelectorAll(
				`label[for="${CSS.escape(this.id)}"], weft-label[for="${CSS.escape(this.id)}"]`);
			text = [...labels].map((l) => l.textContent.trim()).join(" ");
		}
		if (!text && this.internals && this.internals.labels) {
			text = [...this.internals.labels].map((l) => l.textContent.trim()).join(" ");
		}
		if (text) {
			this.input.setAttribute("aria-label", text);
		} else if (this.getAttribute("placeholder")) {
			this.input.setAttribute("aria-label", this.getAttribute("placeholder"));
		}
	}

	update() {
		const value = this.input.value;
		const disabled = this.hasAttribute("disabled");
		if (this.internals) {
			this.internals.setFormValue(disabled ? null : value);
			const v = this.input.validity;
			if (v.valid) {
				this.internals.setValidity({});
			} else {
				const flags = {};
				for (const key of ["valueMissing", "typeMismatch", "patternMismatch", "tooLong",
					"tooShort", "rangeUnderflow", "rangeOverflow", "stepMismatch", "badInput"]) {
					flags[key] = v[key];
				}
				this.internals.setValidity(flags, this.input.validationMessage, this.input);
			}
		} else if (this.shadowInput) {
			const name = this.getAttribute("name");
			if (name && !disabled) {
				this.shadowInput.name = name;
			} else {
				this.shadowInput.removeAttribute("name");
			}
			this.shadowInput.value = value;
		}
	}

	get value() {
		return this.input.value;
	}

	set value(v) {
		this.dirty = true;
		this.input.value = String(v);
		this.update();
	}

	get name() {
		return this.getAttribute("name") || "";
	}

	set name(v) {
		this.setAttribute("name", v);
	}

	get disabled() {
		return this.hasAttribute("disabled");
	}

	set disabled(v) {
		this.toggleAttribute("disabled", Boolean(v));
	}

	get form() {
		return this.internals ? this.internals.form : this.closest("form");
	}

	get validity() {
		return this.input.validity;
	}

	checkValidity() {
		return this.input.checkValidity();
	}

	reportValidity() {
		return this.input.reportValidity();
	}

	focus(options) {
		this.input.focus(options);
	}

	select() {
		this.input.select();
	}

	formResetCallback() {
		this.dirty = false;
		this.input.value = this.defaultValue;
		this.update();
	}

	formDisabledCallback(disabled) {
		this.input.disabled = disabled || this.hasAttribute("disabled");
	}

	formStateRestoreCallback(state) {
		if (typeof state === "string") {
			this.input.value = state;
			this.update();
		}
	}
}

// ---- progress -------------------------------------------------------------

class WeftProgress extends HTMLElement {
	static get observedAttributes() {
		return ["value", "max", "indeterminate", "label"];
	}

	constructor() {
		super();
		this.bar = el("div", { class: "bar", part: "bar" });
		shadow(this, `
			:host {
				display: block;
				height: 6px;
				border-radius: 3px;
				background: var(--weft-raised);
				border: 1px solid var(--weft-border);
				overflow: hidden;
			}
			.bar {
				height: 100%;
				background: var(--weft-accent);
				transition: width var(--weft-speed);
			}
			:host([indeterminate]) .bar {
				width: 30% !important;
				animation: slide 1.2s linear infinite;
			}
			@keyframes slide {
				from { transform: translateX(-100%); }
				to { transform: translateX(340%); }
			}
		`, this.bar);
	}

	connectedCallback() {
		this.setAttribute("role", "progressbar");
		this.render();
	}

	attributeChangedCallback() {
		this.render();
	}

	get value() {
		return Number(this.getAttribute("value")) || 0;
	}

	set value(v) {
		this.setAttribute("value", String(v));
	}

	render() {
		const max = Number(this.getAttribute("max")) > 0 ? Number(this.getAttribute("max")) : 100;
		const value = Math.max(0, Math.min(this.value, max));
		this.setAttribute("aria-valuemin", "0");
		this.setAttribute("aria-valuemax", String(max));
		if (this.hasAttribute("indeterminate")) {
			this.removeAttribute("aria-valuenow");
		} else {
			this.setAttribute("aria-valuenow", String(value));
			this.bar.style.width = `${(value / max) * 100}%`;
		}
		const label = this.getAttribute("label");
		if (label) {
			this.setAttribute("aria-label", label);
		}
	}
}

// ---- list -----------------------------------------------------------------

// A list; with `selectable`, a listbox whose items the arrows move through
// (one tab stop) and Enter or Space selects ("weft:select", "change").
class WeftList extends HTMLElement {
	constructor() {
		super();
		shadow(this, `
			:host {
				display: block;
				border: 1px solid var(--weft-border);
				border-radius: var(--weft-radius);
				background: var(--weft-surface);
				overflow: auto;
			}
		`, el("slot"));
		this.addEventListener("keydown", (ev) => this.onKey(ev));
		this.addEventListener("click", (ev) => {
			const item = ev.target.closest && ev.target.closest("weft-list-item");
			if (item && this.selectable && item.parentElement === this) {
				this.choose(item);
			}
		});
		this.observer = new MutationObserver(() => this.sync());
	}

	get selectable() {
		return this.hasAttribute("selectable");
	}

	get items() {
		return [...this.children].filter((c) => c.localName === "weft-list-item");
	}

	get selected() {
		return this.items.find((i) => i.getAttribute("aria-selected") === "true") || null;
	}

	connectedCallback() {
		this.observer.observe(this, { childList: true });
		this.sync();
	}

	disconnectedCallback() {
		this.observer.disconnect();
	}

	sync() {
		this.setAttribute("role", this.selectable ? "listbox" : "list");
		const items = this.items;
		const current = items.find((i) => i.tabIndex === 0) || this.selected || items[0];
		for (const item of items) {
			if (this.selectable) {
				item.setAttribute("role", "option");
				if (!item.hasAttribute("aria-selected")) {
					item.setAttribute("aria-selected", "false");
				}
				item.tabIndex = item === current ? 0 : -1;
			} else {
				item.setAttribute("role", "listitem");
				item.removeAttribute("aria-selected");
				item.removeAttribute("tabindex");
			}
		}
	}

	move(item) {
		for (const i of this.items) {
			i.tabIndex = i === item ? 0 : -1;
		}
		item.focus();
	}

	choose(item) {
		for (const i of this.items) {
			i.setAttribute("aria-selected", String(i === item));
		}
		this.move(item);
		this.dispatchEvent(new CustomEvent("weft:select", {
			bubbles: true, detail: { item, value: item.getAttribute("value") },
		}));
		this.dispatchEvent(new Event("change", { bubbles: true }));
	}

	onKey(ev) {
		if (!this.selectable) {
			return;
		}
		const items = this.items.filter((i) => !i.hasAttribute("disabled"));
		const at = items.indexOf(document.activeElement);
		if (at < 0 || items.length === 0) {
			return;
		}
		let next = null;
		switch (ev.key) {
		case "ArrowDown":
			next = items[Math.min(at + 1, items.length - 1)];
			break;
		case "ArrowUp":
			next = items[Math.max(at - 1, 0)];
			break;
		case "Home":
			next = items[0];
			break;
		case "End":
			next = items[items.length - 1];
			break;
		case "Enter":
		case " ":
			this.choose(items[at]);
			break;
		default:
			return;
		}
		ev.preventDefault();
		if (next) {
			this.move(next);
		}
	}
}

class WeftListItem extends HTMLElement {
	constructor() {
		super();
		shadow(this, `
			:host {
				display: flex;
				align-items: center;
				gap: 8px;
				padding: 8px 12px;
				color: var(--weft-fg);
			}
			:host(:not(:last-child)) { border-bottom: 1px solid var(--weft-border); }
			:host([role="option"]) { cursor: pointer; }
			:host([aria-selected="true"]) { background: var(--weft-raised); font-weight: bold; }
			:host(:focus) { outline: 2px solid var(--weft-focus); outline-offset: -2px; }
			:host(:focus:not(:focus-visible)) { outline: none; }
		`, el("slot"));
	}

	connectedCallback() {
		if (!this.hasAttribute("role")) {
			this.setAttribute("role", "listitem");
		}
	}
}

// ---- menu -----------------------------------------------------------------

// A menu of weft-menu-items: one tab stop, the arrows move, Home and End,
// a letter jumps to the next item starting with it, Enter or Space
// activates (a click and "weft:activate"), Escape closes ("weft:close").
class WeftMenu extends HTMLElement {
	constructor() {
		super();
		shadow(this, `
			:host {
				display: inline-flex;
				flex-direction: column;
				min-width: 10em;
				padding: 4px;
				border: 1px solid var(--weft-border);
				border-radius: var(--weft-radius);
				background: var(--weft-surface);
			}
			:host([aria-orientation="horizontal"]) { flex-direction: row; }
		`, el("slot"));
		this.addEventListener("keydown", (ev) => this.onKey(ev));
		this.observer = new MutationObserver(() => this.sync());
	}

	get items() {
		return [...this.querySelectorAll("weft-menu-item")];
	}

	connectedCallback() {
		this.setAttribute("role", "menu");
		this.observer.observe(this, { childList: true, subtree: true });
		this.sync();
	}

	disconnectedCallback() {
		this.observer.disconnect();
	}

	sync() {
		const items = this.items;
		const current = items.find((i) => i.tabIndex === 0) || items[0];
		for (const item of items) {
			item.tabIndex = item === current ? 0 : -1;
		}
	}

	focus() {
		const items = this.items;
		if (items.length > 0) {
			this.move(items[0]);
		}
	}

	move(item) {
		for (const i of this.items) {
			i.tabIndex = i === item ? 0 : -1;
		}
		item.focus();
	}

	onKey(ev) {
		const items = this.items;
		const at = items.indexOf(document.activeElement);
		const horizontal = this.getAttribute("aria-orientation") === "horizontal";
		const nextKey = horizontal ? "ArrowRight" : "ArrowDown";
		const prevKey = horizontal ? "ArrowLeft" : "ArrowUp";
		if (items.length === 0) {
			return;
		}
		switch (ev.key) {
		case nextKey:
			this.move(items[(at + 1) % items.length]);
			break;
		case prevKey:
			this.move(items[(at - 1 + items.length) % items.length]);
			break;
		case "Home":
			this.move(items[0]);
			break;
		case "End":
			this.move(items[items.length - 1]);
			break;
		case "Enter":
		case " ":
			if (at >= 0) {
				items[at].activate();
			}
			break;
		case "Escape":
			this.removeAttribute("open");
			this.dispatchEvent(new CustomEvent("weft:close", { bubbles: true }));
			break;
		default:
			if (ev.key.length === 1 && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
				const letter = ev.key.toLowerCase();
				const order = [...items.slice(at + 1), ...items.slice(0, at + 1)];
				const hit = order.find((i) => i.textContent.trim().toLowerCase().startsWith(letter));
				if (hit) {
					this.move(hit);
					break;
				}
			}
			return;
		}
		ev.preventDefault();
	}
}

class WeftMenuItem extends HTMLElement {
	static get observedAttributes() {
		return ["disabled"];
	}

	constructor() {
		super();
		shadow(this, `
			:host {
				display: flex;
				align-items: center;
				gap: 8px;
				padding: 6px 12px;
				border-radius: 6px;
				color: var(--weft-fg);
				cursor: pointer;
			}
			:host(:hover), :host(:focus) { background: var(--weft-raised); }
			:host(:focus) { outline: 2px solid var(--weft-focus); outline-offset: -2px; }
			:host(:focus:not(:focus-visible)) { outline: none; }
			:host([destructive]) { color: var(--weft-danger); }
			:host([disabled]) { opacity: 0.55; cursor: default; }
		`, el("slot"));
		this.addEventListener("click", (ev) => {
			if (this.hasAttribute("disabled")) {
				ev.preventDefault();
				ev.stopImmediatePropagation();
				return;
			}
			this.dispatchEvent(new CustomEvent("weft:activate", {
				bubbles: true, detail: { value: this.getAttribute("value") },
			}));
		});
	}

	connectedCallback() {
		this.setAttribute("role", "menuitem");
		if (!this.hasAttribute("tabindex")) {
			this.tabIndex = -1;
		}
		this.attributeChangedCallback();
	}

	attributeChangedCallback() {
		if (this.hasAttribute("disabled")) {
			this.setAttribute("aria-disabled", "true");
		} else {
			this.removeAttribute("aria-disabled");
		}
	}

	activate() {
		this.click();
	}
}

// ---- dialog ---------------------------------------------------------------

// The focused element, through open shadow roots.
function deepActive() {
	let active = document.activeElement;
	while (active && active.shadowRoot && active.shadowRoot.activeElement) {
		active = active.shadowRoot.activeElement;
	}
	return active;
}

function isFocusable(node) {
	if (node.tabIndex < 0 || node.disabled || node.hasAttribute("disabled")) {
		return false;
	}
	if (node.localName === "a" && !node.hasAttribute("href")) {
		return false;
	}
	if (node.localName === "input" && node.type === "hidden") {
		return false;
	}
	return node.getClientRects().length > 0;
}

// The tab stops under root in tree order, into open shadow roots and
// through slots as the flat tree has them.
export function tabStops(root) {
	const out = [];
	const visitChildren = (parent) => {
		for (const child of parent.children) {
			visit(child);
		}
	};
	const visit = (node) => {
		if (node.hidden || node.getAttribute("aria-hidden") === "true" || node.inert) {
			return;
		}
		if (node.localName === "slot") {
			for (const assigned of node.assignedElements({ flatten: true })) {
				visit(assigned);
			}
			return;
		}
		if (isFocusable(node)) {
			out.push(node);
		}
		visitChildren(node.shadowRoot || node);
	};
	visitChildren(root);
	return out;
}

const openDialogs = [];

// A modal dialog: role dialog, named by `label` (or aria-labelledby). When
// it opens, the focus goes into it ([autofocus], else the first control,
// else the dialog) and Tab and Shift+Tab cycle inside it; Escape or a click
// on the backdrop cancels it ("cancel", which may be prevented, then
// "close"); when it closes, the focus goes back where it was.
class WeftDialog extends HTMLElement {
	static get observedAttributes() {
		return ["open", "label"];
	}

	constructor() {
		super();
		this.backdrop = el("div", { class: "backdrop", part: "backdrop" });
		this.panel = el("div", { class: "panel", part: "panel" }, el("slot"));
		shadow(this, `
			:host { display: none; }
			:host([open]) {
				display: flex;
				position: fixed;
				top: 0;
				right: 0;
				bottom: 0;
				left: 0;
				z-index: 1000;
				align-items: center;
				justify-content: center;
			}
			.backdrop {
				position: absolute;
				top: 0;
				right: 0;
				bottom: 0;
				left: 0;
				background: rgba(0, 0, 0, 0.45);
			}
			.panel {
				position: relative;
				max-width: min(90vw, 560px);
				max-height: 90vh;
				overflow: auto;
				padding: 20px;
				border-radius: 12px;
				background: var(--weft-surface);
				color: var(--weft-fg);
				box-shadow: 0 12px 40px rgb(0 0 0 / 0.35);
				animation: pop var(--weft-speed) ease-out;
			}
			@keyframes pop {
				from { transform: scale(0.96); opacity: 0; }
				to { transform: none; opacity: 1; }
			}
		`, this.backdrop, this.panel);
		this.returnValue = "";
		this.returnFocus = null;
		this.backdrop.addEventListener("click", () => this.cancel());
		this.onKey = (ev) => this.handleKey(ev);
		this.onFocusIn = (ev) => this.handleFocusIn(ev);
	}

	get open() {
		return this.hasAttribute("open");
	}

	set open(value) {
		this.toggleAttribute("open", Boolean(value));
	}

	show() {
		this.open = true;
	}

	showModal() {
		this.open = true;
	}

	close(returnValue) {
		if (returnValue !== undefined) {
			this.returnValue = String(returnValue);
		}
		this.open = false;
	}

	cancel() {
		if (this.dispatchEvent(new Event("cancel", { cancelable: true }))) {
			this.close();
		}
	}

	connectedCallback() {
		this.setAttribute("role", "dialog");
		this.setAttribute("aria-modal", "true");
		this.attributeChangedCallback("label");
		if (this.open) {
			this.opened();
		}
	}

	disconnectedCallback() {
		if (openDialogs.includes(this)) {
			this.closed(false);
		}
	}

	attributeChangedCallback(name) {
		if (name === "label") {
			const label = this.getAttribute("label");
			if (label) {
				this.setAttribute("aria-label", label);
			}
			return;
		}
		if (!this.isConnected) {
			return;
		}
		if (this.open && !openDialogs.includes(this)) {
			this.opened();
		} else if (!this.open && openDialogs.includes(this)) {
			this.closed(true);
		}
	}

	opened() {
		this.returnFocus = deepActive();
		openDialogs.push(this);
		if (!this.hasAttribute("tabindex")) {
			this.tabIndex = -1;
		}
		document.addEventListener("keydown", this.onKey, true);
		document.addEventListener("focusin", this.onFocusIn, true);
		this.focusFirst();
	}

	closed(dispatch) {
		openDialogs.splice(openDialogs.indexOf(this), 1);
		document.removeEventListener("keydown", this.onKey, true);
		document.removeEventListener("focusin", this.onFocusIn, true);
		const back = this.returnFocus;
		this.returnFocus = null;
		if (back && back.isConnected && typeof back.focus === "function") {
			back.focus();
		}
		if (dispatch) {
			this.dispatchEvent(new Event("close"));
		}
	}

	focusFirst() {
		const auto = this.querySelector("[autofocus]");
		const stops = tabStops(this.shadowRoot);
		const first = auto || stops[0];
		if (first) {
			first.focus();
		} else {
			this.focus();
		}
	}

	top() {
		return openDialogs[openDialogs.length - 1] === this;
	}

	handleKey(ev) {
		if (!this.top()) {
			return;
		}
		if (ev.key === "Escape") {
			ev.preventDefault();
			ev.stopPropagation();
			this.cancel();
			return;
		}
		if (ev.key !== "Tab") {
			return;
		}
		ev.preventDefault();
		const stops = tabStops(this.shadowRoot);
		if (stops.length === 0) {
			this.focus();
			return;
		}
		const active = deepActive();
		const at = stops.findIndex((s) => s === active || s.contains(active) ||
			(s.shadowRoot && s.shadowRoot.contains(active)));
		const step = ev.shiftKey ? -1 : 1;
		const next = at < 0 ? (ev.shiftKey ? stops.length - 1 : 0) :
			(at + step + stops.length) % stops.length;
		stops[next].focus();
	}

	// The focus may not leave an open modal dialog (a click elsewhere,
	// a script): it comes back in.
	handleFocusIn(ev) {
		if (!this.top() || ev.composedPath().includes(this)) {
			return;
		}
		this.focusFirst();
	}
}

const ELEMENTS = {
	"weft-icon": WeftIcon,
	"weft-button": WeftButton,
	"weft-card": WeftCard,
	"weft-label": WeftLabel,
	"weft-input": WeftInput,
	"weft-progress": WeftProgress,
	"weft-list": WeftList,
	"weft-list-item": WeftListItem,
	"weft-menu": WeftMenu,
	"weft-menu-item": WeftMenuItem,
	"weft-dialog": WeftDialog,
};

for (const [name, cls] of Object.entries(ELEMENTS)) {
	if (!customElements.get(name)) {
		customElements.define(name, cls);
	}
}
