// Small persistent state (most-used counts, do-not-disturb). localStorage
// when the page's origin has one; a page served from a custom scheme has an
// opaque origin, where Servo (as the standard says) throws SecurityError,
// so the state then lives in this page's memory only.

function probe() {
	try {
		const ls = window.localStorage;
		ls.setItem("weft-shell-probe", "1");
		ls.removeItem("weft-shell-probe");
		return ls;
	} catch {
		return null;
	}
}

export class Store {
	constructor(prefix) {
		this.prefix = prefix;
		this.backend = probe();
		this.memory = new Map();
	}

	get persistent() {
		return this.backend !== null;
	}

	get(key, fallback) {
		let text;
		if (this.backend) {
			text = this.backend.getItem(this.prefix + key);
		} else {
			text = this.memory.get(key);
		}
		if (text === null || text === undefined) {
			return fallback;
		}
		try {
			return JSON.parse(text);
		} catch {
			return fallback;
		}
	}

	set(key, value) {
		const text = JSON.stringify(value);
		if (this.backend) {
			try {
				this.backend.setItem(this.prefix + key, text);
				return;
			} catch {
				// Full or revoked: keep it for this page's life at least.
				this.backend = null;
			}
		}
		this.memory.set(key, text);
	}
}
