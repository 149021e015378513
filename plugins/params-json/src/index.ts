export { jsonParamsFormat } from './json-params-format';
export { JsonParamsPlugin } from './json-params-plugin';
export type { JsonMember, JsonNode } from './json-source';
export { jsonValue, parseJson } from './json-source';
