/**
 * Entry point of a training worker thread (started by WorkerPool, src/worker/pool.ts): serves the product's jobs
 * (src/worker/jobs.ts) with the message loop of src/worker/runtime.ts.
 */
import { serveJobs } from './runtime';
import { loadProductJobs } from './jobs';

serveJobs(loadProductJobs());
