// The page's one channel: window.weftIpc, bridged by weft-shell to appd and
// to the compositor. Every message is a JSON string. Requests carry an "id"
// this page chooses; replies come back with it. Events ({"event": ...}) are
// appd's (state, notification) or the host's (shell.*). When the host loses
// appd (shell.appd, connected false), requests to appd that wait for a reply
// are answered with an "unavailable" error.

export class ShellIpc {
	constructor(surface) {
		this.prefix = surface + "-";
		this.next = 1;
		this.pending = new Map();
		this.listeners = new Map();
		this.bridge = null;
		this.queue = [];
	}

	// Waits for the bridge (the host injects it before the page's scripts;
	// this copes with one that comes later) and takes its messages.
	attach() {
		if (window.weftIpc) {
			this.bridge = window.weftIpc;
			this.bridge.onmessage = (payload) => this.receive(payload);
			for (const text of this.queue.splice(0)) {
				this.post(text);
			}
			return;
		}
		setTimeout(() => this.attach(), 50);
	}

	post(text) {
		if (!this.bridge) {
			this.queue.push(text);
			return;
		}
		Promise.resolve(this.bridge.send(text)).catch((error) => {
			console.error("weft-shell: send failed:", String(error));
		});
	}

	// Resolves with the reply, {"ok": true, ...} or {"error": {...}}.
	request(message) {
		const id = this.prefix + this.next++;
		const text = JSON.stringify({ ...message, id });
		const toAppd = !String(message.type).startsWith("shell.");
		return new Promise((resolve) => {
			this.pending.set(id, { resolve, toAppd });
			this.post(text);
		});
	}

	// The host lost its connection to appd: what was asked of appd will not
	// be answered.
	appdLost() {
		for (const [id, { resolve, toAppd }] of this.pending) {
			if (toAppd) {
				this.pending.delete(id);
				resolve({ id, error: { code: "unavailable", message: "appd went away" } });
			}
		}
	}

	on(event, fn) {
		if (!this.listeners.has(event)) {
			this.listeners.set(event, []);
		}
		this.listeners.get(event).push(fn);
	}

	receive(payload) {
		let msg;
		try {
			msg = JSON.parse(payload);
		} catch {
			console.error("weft-shell: a message that is not JSON was dropped");
			return;
		}
		if (msg === null || typeof msg !== "object") {
			return;
		}
		if (typeof msg.event === "string") {
			if (msg.event === "shell.appd" && msg.connected === false) {
				this.appdLost();
			}
			for (const fn of this.listeners.get(msg.event) || []) {
				try {
					fn(msg);
				} catch (error) {
					console.error("weft-shell: handling", msg.event, "failed:", error);
				}
			}
			return;
		}
		const waiting = this.pending.get(msg.id);
		if (waiting) {
			this.pending.delete(msg.id);
			waiting.resolve(msg);
		}
	}
}

export function errorText(reply) {
	const e = reply && reply.error;
	if (!e) {
		return "";
	}
	return typeof e.message === "string" && e.message ? e.message : String(e.code || "error");
}
