// `npm pack` (prepack): writes npm-shrinkwrap.json from package-lock.json without the dev tools, so
// `npm install -g stockhook-*.tgz` installs the tree this repository tests, the `overrides` pin
// included: npm reads `overrides` only in the root project, never in an installed package, and
// without the shrinkwrap fastify would get light-my-request 6.8 again, whose cookie 2 refuses
// Node 20 (EBADENGINE). The pin must satisfy the range its dependent declares (fastify: ^6.0.0):
// npm re-resolves a shrinkwrapped edge that does not. postpack removes the file, so
// package-lock.json stays the clone's one lockfile.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const packages = Object.fromEntries(Object.entries(lock.packages).filter(([, entry]) => entry.dev !== true));
writeFileSync(new URL('../npm-shrinkwrap.json', import.meta.url), `${JSON.stringify({ ...lock, packages }, null, 2)}\n`);
console.error(`npm-shrinkwrap.json: ${Object.keys(packages).length - 1} packages (the run-time tree of package-lock.json)`);
