export { DigestAuthenticator, type DigestChallenge, parseDigestChallenge } from './digest';
export { parseRetryAfter } from './errors';
export { HttpStorage, keyUrl, openHttpStorage, type ParsedHttpUrl, parseHttpUrl } from './http-storage';
export { type HttpAuth, type HttpRemoteOptions, parseHttpOptions } from './options';
export { HttpRemotePlugin } from './plugin';
