export {
  COMMAND_ID_ENV,
  KILL_GRACE_MS,
  LocalExecutor,
  LocalExecutorPlugin,
  shellCommand,
} from './local-executor';
