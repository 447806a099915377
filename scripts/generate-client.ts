// `npm run client:generate`: rewrites src/client/api-types.ts from the server's OpenAPI document.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_TYPES_FILE, generateClientTypes } from './client-types.js';

const text = await generateClientTypes();
writeFileSync(CLIENT_TYPES_FILE, text);
console.error(`wrote ${fileURLToPath(CLIENT_TYPES_FILE)} (${text.split('\n').length} lines)`);
