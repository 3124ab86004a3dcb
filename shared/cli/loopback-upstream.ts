import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../domain/clock.js';
import type { UpstreamStep } from './scenario.js';

/**
 * Serves each scenario path's payload for the current simulated time, on 127.0.0.1 only, with
 * an ETag so the real adapter's conditional GET is exercised.
 */
export class LoopbackUpstream {
  private server?: Server;
  constructor(
    private readonly timelines: ReadonlyMap<string, UpstreamStep[]>,
    private readonly clock: Clock,
    private readonly start: Date,
  ) {}

  /** The step in force at simulated offset `elapsedMs` for a path. */
  current(path: string, elapsedMs = this.clock.now().getTime() - this.start.getTime()): UpstreamStep | undefined {
    const steps = this.timelines.get(path);
    return steps?.filter((s) => s.at <= elapsedMs).at(-1);
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      // The path and the query, as loopbackPath keys them (an NWS `?area=MN` URL is its own upstream).
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = `${url.pathname}${url.search}`;
      const step = this.current(path);
      if (!step) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no payload for ${path}`);
        return;
      }
      const etag = `"${path.length}-${step.at}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(step.status, { 'content-type': step.contentType, 'content-length': step.body.length, etag }).end(step.body);
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server!.close(() => ok()));
  }
}
