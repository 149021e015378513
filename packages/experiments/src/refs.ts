/** Where DVC keeps experiments: `refs/exps/<baseline sha[:2]>/<baseline sha[2:]>/<name>`. */
export const EXPS_NAMESPACE = 'refs/exps';
