// node componentize.mjs SOURCE.js WIT_DIR OUT.wasm
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';

const [sourcePath, witPath, out] = process.argv.slice(2);
const { component } = await componentize({
	sourcePath,
	witPath,
	worldName: 'app',
	// No wasi:http: WEFT apps reach the network through weft:app/fetch.
	disableFeatures: ['http', 'fetch-event'],
});
await writeFile(out, component);
