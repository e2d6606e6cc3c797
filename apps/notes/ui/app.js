// Notes UI: one text, loaded from and saved by the component ("load",
// "save:<text>"). App strings only ever go into .value and .textContent.
// The buttons and the status are the UI kit's (weft-button, weft-label):
// imported here, so that they are defined before this module uses them,
// whatever order an engine runs the page's module scripts in.
import "/.weft/kit/weft-ui-kit.js";

const text = document.getElementById("text");
const saveBtn = document.getElementById("save");
const discardBtn = document.getElementById("discard");
const statusEl = document.getElementById("status");
const charsEl = document.getElementById("chars");

let saved = "";

// variant: the kit label's neutral, success, warning or error.
function setStatus(msg, variant = "neutral") {
	statusEl.textContent = msg;
	statusEl.setAttribute("variant", variant);
	statusEl.hidden = msg === "";
}

function updateChars() {
	// Count characters as people see them, not UTF-16 code units.
	const n = [...text.value].length;
	charsEl.textContent = n === 1 ? "1 character" : `${n} characters`;
	const dirty = text.value !== saved;
	saveBtn.disabled = text.disabled || !dirty;
	discardBtn.disabled = text.disabled || !dirty;
}

function onMessage(payload) {
	let msg;
	try {
		msg = JSON.parse(payload);
	} catch {
		setStatus("bad answer from the app", "error");
		return;
	}
	if (typeof msg.error === "string") {
		setStatus(msg.error, "error");
		return;
	}
	if (typeof msg.text !== "string") {
		return;
	}
	saved = msg.text;
	if (msg.saved) {
		setStatus("Saved", "success");
	} else {
		text.value = msg.text;
		setStatus("Loaded");
	}
	const first = text.disabled;
	text.disabled = false;
	updateChars();
	// Typing goes into the note from the start, as in any editor; a person
	// who already moved the focus elsewhere keeps it there.
	if (first && (document.activeElement === null || document.activeElement === document.body)) {
		text.focus();
		text.setSelectionRange(text.value.length, text.value.length);
	}
}

function save() {
	if (!text.disabled) {
		setStatus("Saving…");
		window.weftIpc.send("save:" + text.value);
	}
}

saveBtn.addEventListener("click", save);
discardBtn.addEventListener("click", () => {
	text.value = saved;
	setStatus("Changes discarded");
	updateChars();
});
text.addEventListener("input", () => {
	setStatus(text.value === saved ? "" : "Unsaved changes", "warning");
	updateChars();
});
document.addEventListener("keydown", (ev) => {
	if (ev.ctrlKey && (ev.key === "s" || ev.key === "S")) {
		ev.preventDefault();
		save();
	}
});

function connect() {
	if (!window.weftIpc) {
		setTimeout(connect, 100);
		return;
	}
	window.weftIpc.onmessage = onMessage;
	window.weftIpc.send("load");
}
connect();
updateChars();
