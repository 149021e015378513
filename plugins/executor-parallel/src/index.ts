export { ParallelExecutor, ParallelExecutorPlugin } from './parallel-executor';
