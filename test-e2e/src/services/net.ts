import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A TCP port free on loopback right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface GreetingProbe {
  /** The server's name in messages (`redis-server`, `sshd`). */
  readonly name: string;
  /** What to send once connected, if the server speaks only when spoken to. */
  readonly send?: string;
  /** Whether the first bytes the server sends are its greeting. */
  readonly answered: (text: string) => boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

/**
 * Resolves once the server started as `child` answers on `port` as `probe` expects; throws when the
 * process exits first or the time runs out.
 */
export async function waitForGreeting(
  port: number,
  child: ChildProcess,
  probe: GreetingProbe,
): Promise<void> {
  const deadline = Date.now() + probe.timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${probe.name} exited (${child.exitCode ?? child.signalCode}) before listening`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1000, () => done(false));
      if (probe.send !== undefined) {
        const text = probe.send;
        socket.once('connect', () => socket.write(text));
      }
      socket.once('data', (chunk) => done(probe.answered(chunk.toString('latin1'))));
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(`${probe.name} did not answer on port ${port} within ${probe.timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, probe.intervalMs));
  }
}
