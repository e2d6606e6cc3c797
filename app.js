import { ready } from 'weft:app/notify@0.1.0';
import { send, recv } from 'weft:app/ipc@0.1.0';

export const run = {
	run() {
		ready();
		for (;;) {
			const msg = recv();
			if (msg === undefined) {
				continue;
			}
			send(`js:${msg.toUpperCase()}`);
		}
	},
};
