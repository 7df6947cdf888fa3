// `npm run nats:install`: finds nats-server 2.12+ or builds the pinned release into the cache.
import { ensureNatsServer } from './lib/nats-server.ts';

const binary = await ensureNatsServer((line) => process.stdout.write(`${line}\n`));
process.stdout.write(`nats-server: ${binary}\n`);
