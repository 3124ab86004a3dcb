/**
 * The world the pipeline runs against, in its own process: the embedded store (dynalite,
 * in-process here, on 127.0.0.1) and a loopback upstream serving generated Statuspage pages.
 * Kept out of the measured process so that process's CPU time and RSS are the pipeline's own
 * (what a Lambda pays), not DynamoDB's or the vendors'. Driven over the fork IPC channel.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmbeddedDynamo } from '../shared/adapters/embedded-dynamo.js';
import type { Status } from '../shared/domain/status.js';
import { PAGE_PATH, servesEtag, statuspagePage } from './fixtures.js';

export type WorldRequest =
  | { type: 'status'; updates: Array<[number, Exclude<Status, 'unknown'>]> }
  | { type: 'usage' }
  | { type: 'stop' };

export interface WorldUsage {
  cpuMs: number;
  rssMb: number;
  served: Record<string, number>;
  /** Requests per reader: the `via` query parameter (a peer's probes), `dialtone` without one. */
  byReader: Record<string, number>;
}

export type WorldReply = { type: 'ready'; endpoint: string; tableName: string; upstream: string } | ({ type: 'usage' } & WorldUsage) | { type: 'ack' };

async function main() {
  const send = (msg: WorldReply) => process.send!(msg);
  const db = await startEmbeddedDynamo();
  const status = new Map<number, Exclude<Status, 'unknown'>>();
  const pages = new Map<number, { body: Buffer; etag?: string }>();
  const served: Record<string, number> = {};
  const byReader: Record<string, number> = {};
  const page = (i: number) => {
    let p = pages.get(i);
    if (!p) {
      const body = Buffer.from(statuspagePage(i, status.get(i) ?? 'operational'));
      p = { body, ...(servesEtag(i) ? { etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"` } : {}) };
      pages.set(i, p);
    }
    return p;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const m = PAGE_PATH.exec(url.pathname);
    const reader = url.searchParams.get('via') ?? 'dialtone';
    byReader[reader] = (byReader[reader] ?? 0) + 1;
    const count = (code: number) => (served[code] = (served[code] ?? 0) + 1);
    if (!m) {
      count(404);
      res.writeHead(404).end();
      return;
    }
    const p = page(Number(m[1]));
    if (p.etag !== undefined && req.headers['if-none-match'] === p.etag) {
      count(304);
      res.writeHead(304, { etag: p.etag }).end();
      return;
    }
    count(200);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': p.body.length, ...(p.etag ? { etag: p.etag } : {}) }).end(p.body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  process.on('message', async (msg: WorldRequest) => {
    switch (msg.type) {
      case 'status':
        for (const [i, s] of msg.updates) {
          status.set(i, s);
          pages.delete(i);
        }
        send({ type: 'ack' });
        break;
      case 'usage': {
        const cpu = process.cpuUsage();
        send({ type: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage.rss() / 2 ** 20, served: { ...served }, byReader: { ...byReader } });
        break;
      }
      case 'stop':
        server.closeAllConnections();
        server.close();
        await db.stop();
        process.disconnect();
        break;
    }
  });
  send({ type: 'ready', endpoint: db.endpoint, tableName: db.tableName, upstream });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
