import { runAttempt } from './runner.main.js';

await runAttempt();
