// weft-shell's page. One document, loaded twice by weft-shell: as the
// panel (?surface=panel) and as the full-screen overlay (?surface=overlay).
// Each talks to appd and the host through its own window.weftIpc.

import { ShellIpc } from "./ipc.js";
import { Model } from "./model.js";
import { Store } from "./store.js";
import { Panel } from "./panel.js";
import { Overlay } from "./overlay.js";

const params = new URLSearchParams(location.search);
const surface = params.get("surface") === "overlay" ? "overlay" : "panel";
document.body.dataset.surface = surface;
document.title = surface === "overlay" ? "WEFT overlay" : "WEFT panel";

const ipc = new ShellIpc(surface);
const model = new Model(ipc);
const store = new Store("weft-shell.");
const root = document.getElementById("root");

// zweft's navigation_gesture, as a DOM event any part of the page may use.
ipc.on("shell.gesture", (msg) => {
	const detail = { ...msg };
	delete detail.event;
	window.dispatchEvent(new CustomEvent("weft-navigation-gesture", { detail }));
});
ipc.on("state", (msg) => model.onState(msg));
// appd came back (restarted, or it had dropped us): its subscription and
// sessions are new, so subscribe and load them again.
ipc.on("shell.appd", (msg) => {
	if (msg.connected === true) {
		model.start();
	}
});

const ui = surface === "overlay" ? new Overlay(root, ipc, model, store) :
	new Panel(root, ipc, model, store);
window.weftShell = { surface, ipc, model, store, ui };
ipc.attach();
model.start().then(() => {
	document.body.dataset.ready = "true";
});
