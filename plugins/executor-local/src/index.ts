export { KILL_GRACE_MS, LocalExecutor, LocalExecutorPlugin, shellCommand } from './local-executor';
