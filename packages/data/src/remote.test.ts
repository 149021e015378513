import { PluginError, TvcError } from '@tvc/core';
import { RemoteError } from '@tvc/remote';
import { describe, expect, it } from 'vitest';
import { remoteProblem } from './remote';

describe('remoteProblem', () => {
  it("reports a plugin's RemoteError, even wrapped by core's hook guard, as the remote's own error", () => {
    const config = new RemoteError('CONFIG', "'user' is missing", { path: 'user', hint: 'set user' });
    for (const thrown of [config, new PluginError('tvc:remote-http', 'remoteStorage.for("http")', config)]) {
      const problem = remoteProblem('web', thrown);
      expect(problem).toBeInstanceOf(TvcError);
      expect(problem.code).toBe('REMOTE_CONFIG');
      expect(problem.message).toBe("remote 'web': 'user' is missing ('user')");
      expect(problem.hint).toBe('set user');
    }
  });

  it('keeps a PluginError that wraps anything else: a plugin bug', () => {
    const bug = new PluginError('p', 'remoteStorage.for("x")', new TypeError('oops'));
    expect(remoteProblem('web', bug)).toBe(bug);
  });
});
