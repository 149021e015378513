export { EXPS_NAMESPACE } from './refs';
