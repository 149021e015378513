export {
  localConfigWithCache,
  prepareWorkspace,
  TEMP_WORKSPACES,
  TempExecutor,
  TempExecutorPlugin,
} from './temp-executor';
