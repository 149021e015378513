export type { JobData, JobResult, JobState, JobView, LiveWorker, WorkerOptions } from './distributed-queue';
export { DistributedQueue, openDistributedQueue } from './distributed-queue';
export type { BullmqSettings } from './settings';
export { DEFAULT_REDIS, queuedRef, readSettings } from './settings';
