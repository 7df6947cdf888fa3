import { runAttempt } from './attempt.runner.js';

await runAttempt();
