// Evaluated by tests/webview/test-sysui-servo.c in tests/sysui/fixtures/kit.html,
// in Servo: what of weft-ui-kit.js works there. Returns a JSON string.
(() => {
	const r = {};
	r.undefined = ["weft-button", "weft-card", "weft-dialog", "weft-icon", "weft-list",
		"weft-list-item", "weft-menu", "weft-menu-item", "weft-progress", "weft-input",
		"weft-label"].filter((n) => !customElements.get(n));
	const title = document.getElementById("title");
	r.internals = title.internals !== null;
	r.fallback = title.shadowInput !== null;
	title.value = "Servo";
	const form = document.getElementById("form");
	r.formData = [...new FormData(form).entries()].map(([k, v]) => `${k}=${v}`).join("&");
	title.value = "";
	r.validWhenEmpty = form.checkValidity();
	r.roles = ["submit", "named-icon", "progress", "menu", "list", "dialog"]
		.map((id) => document.getElementById(id).getAttribute("role")).join(",");
	r.iconPaths = document.getElementById("named-icon").shadowRoot.querySelectorAll("path").length;
	const deep = () => {
		let a = document.activeElement;
		while (a && a.shadowRoot && a.shadowRoot.activeElement) {
			a = a.shadowRoot.activeElement;
		}
		return a ? (a.id || a.getAttribute("aria-label") || a.localName) : "";
	};
	const key = (k, shift) => document.dispatchEvent(new KeyboardEvent("keydown",
		{ key: k, shiftKey: shift, bubbles: true, cancelable: true }));
	document.getElementById("open").focus();
	const dialog = document.getElementById("dialog");
	dialog.open = true;
	const order = [deep()];
	for (let i = 0; i < 3; i++) {
		key("Tab", false);
		order.push(deep());
	}
	key("Tab", true);
	order.push(deep());
	r.tabOrder = order.join(",");
	key("Escape", false);
	r.closed = !dialog.open;
	r.focusBack = deep();
	return JSON.stringify(r);
})()
