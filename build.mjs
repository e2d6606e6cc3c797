import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';
const [src, wit, out] = process.argv.slice(2);
const { component } = await componentize({ sourcePath: src, witPath: wit, worldName: 'app',
	disableFeatures: ['http', 'fetch-event'] });
await writeFile(out, component);
