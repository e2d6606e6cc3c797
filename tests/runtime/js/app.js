// A WEFT app written in JavaScript (componentize-js): answers every message
// with "js:" and the message in upper case.
import { ready } from 'weft:app/notify@0.1.0';
import { send, recv } from 'weft:app/ipc@0.1.0';

export const run = {
	run() {
		ready();
		for (;;) {
			// recv never blocks, and JavaScript here has no way to sleep.
			const msg = recv();
			if (msg !== undefined) {
				send(`js:${msg.toUpperCase()}`);
			}
		}
	},
};
