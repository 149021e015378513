export { LocalRemotePlugin, LocalStorage, localRoot, openLocalStorage } from './local-storage';
