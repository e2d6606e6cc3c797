// What the shell knows of appd: the installed apps (the "apps" pages) and
// the sessions (a "sessions" snapshot, then "state" events), and the order
// in which apps last had the focus, for the switcher.

const LIVE = new Set(["starting", "running", "stopping"]);

export class Model extends EventTarget {
	constructor(ipc) {
		super();
		this.ipc = ipc;
		this.apps = new Map(); // app id -> {id, name, description}
		this.sessions = new Map(); // session id -> SESSION, live ones only
		this.recent = []; // session ids, most recently focused first
	}

	// Subscribes first, so that no state change falls between the snapshot
	// and the events: appd answers in order, so the snapshot that follows
	// the subscribe reply is newer than any event before it.
	async start() {
		const sub = await this.ipc.request({ type: "subscribe" });
		if (sub.error) {
			console.error("weft-shell: subscribe:", JSON.stringify(sub.error));
		}
		await Promise.all([this.loadApps(), this.loadSessions()]);
	}

	async loadApps() {
		const apps = new Map();
		let after;
		for (let page = 0; page < 1000; page++) {
			const req = { type: "apps", limit: 200 };
			if (after !== undefined) {
				req.after = after;
			}
			const reply = await this.ipc.request(req);
			if (reply.error || !Array.isArray(reply.apps)) {
				break;
			}
			for (const app of reply.apps) {
				if (app && typeof app.id === "string") {
					apps.set(app.id, {
						id: app.id,
						name: typeof app.name === "string" && app.name ? app.name : app.id,
						description: typeof app.description === "string" ? app.description : "",
					});
				}
			}
			if (!reply.more || reply.apps.length === 0) {
				break;
			}
			after = reply.apps[reply.apps.length - 1].id;
		}
		this.apps = apps;
		this.emit("apps");
	}

	async loadSessions() {
		const reply = await this.ipc.request({ type: "sessions", all: false });
		if (reply.error || !Array.isArray(reply.sessions)) {
			return;
		}
		const before = this.recent;
		this.sessions.clear();
		for (const s of reply.sessions) {
			if (s && typeof s === "object" && s.id !== undefined && LIVE.has(s.state)) {
				this.sessions.set(s.id, s);
			}
		}
		const newest = [...this.sessions.values()]
			.sort((a, b) => (b.started_at || 0) - (a.started_at || 0))
			.map((s) => s.id);
		this.recent = [...before.filter((id) => this.sessions.has(id)),
			...newest.filter((id) => !before.includes(id))];
		this.emit("sessions");
	}

	track(s) {
		if (!s || typeof s !== "object" || s.id === undefined) {
			return false;
		}
		if (LIVE.has(s.state)) {
			const isNew = !this.sessions.has(s.id);
			this.sessions.set(s.id, s);
			if (isNew) {
				// A new window takes the focus.
				this.recent = [s.id, ...this.recent.filter((id) => id !== s.id)];
			}
		} else {
			this.sessions.delete(s.id);
			this.recent = this.recent.filter((id) => id !== s.id);
		}
		return true;
	}

	// {"event": "state", "session": SESSION}
	onState(msg) {
		const s = msg.session;
		const previous = s && this.sessions.get(s.id);
		if (this.track(s)) {
			this.emit("sessions");
			if (s.state === "crashed" && previous) {
				this.emit("crashed", s);
			}
		}
	}

	focused(sessionId) {
		if (!this.sessions.has(sessionId)) {
			return;
		}
		this.recent = [sessionId, ...this.recent.filter((id) => id !== sessionId)];
		this.emit("sessions");
	}

	// The live sessions, most recently focused first.
	byRecency() {
		return this.recent.map((id) => this.sessions.get(id)).filter(Boolean);
	}

	// The live sessions in the order they started (the panel's order).
	byStart() {
		return [...this.sessions.values()].sort((a, b) =>
			(a.started_at || 0) - (b.started_at || 0) || (a.id > b.id ? 1 : -1));
	}

	appName(appId) {
		const app = this.apps.get(appId);
		if (app) {
			return app.name;
		}
		const last = String(appId).split(".").pop();
		return last ? last[0].toUpperCase() + last.slice(1) : String(appId);
	}

	emit(type, detail) {
		this.dispatchEvent(new CustomEvent(type, { detail }));
	}
}
