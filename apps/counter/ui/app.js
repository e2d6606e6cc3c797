// Counter UI: the component owns the number; the page only shows what the
// component answers ({"count":N}) and sends increment/decrement/reset/get.
const countEl = document.getElementById("count");
const buttons = {
	dec: document.getElementById("dec"),
	reset: document.getElementById("reset"),
	inc: document.getElementById("inc"),
};

function send(msg) {
	if (window.weftIpc) {
		window.weftIpc.send(msg);
	}
}

function show(count) {
	countEl.classList.remove("connecting");
	countEl.classList.toggle("negative", count < 0);
	countEl.textContent = String(count);
}

function onMessage(payload) {
	let msg;
	try {
		msg = JSON.parse(payload);
	} catch {
		return;
	}
	if (msg && Number.isInteger(msg.count)) {
		show(msg.count);
	}
}

buttons.dec.addEventListener("click", () => send("decrement"));
buttons.reset.addEventListener("click", () => send("reset"));
buttons.inc.addEventListener("click", () => send("increment"));

document.addEventListener("keydown", (ev) => {
	if (ev.ctrlKey || ev.altKey || ev.metaKey) {
		return;
	}
	switch (ev.key) {
	case "ArrowUp":
	case "+":
		send("increment");
		break;
	case "ArrowDown":
	case "-":
		send("decrement");
		break;
	case "r":
		send("reset");
		break;
	default:
		return;
	}
	ev.preventDefault();
});

// The bridge is injected before our scripts run; ask for the count until the
// component answers, so a slow start still ends in a number.
function connect() {
	if (!window.weftIpc) {
		setTimeout(connect, 100);
		return;
	}
	window.weftIpc.onmessage = onMessage;
	send("get");
	setTimeout(() => {
		if (countEl.classList.contains("connecting")) {
			connect();
		}
	}, 500);
}
connect();
