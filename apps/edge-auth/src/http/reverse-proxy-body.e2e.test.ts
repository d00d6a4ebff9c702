import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tollgate/service-runtime';
import {
  buildServiceArtifact,
  eventually,
  infraEnv,
  isolatedServiceEnv,
  startServiceProcess,
  type ServiceProcess,
} from '@tollgate/test-infra';
import { EdgeAuthConfig } from '../config';
import { plan, TableTopics, type TableKey } from '../testing/table-topics';

const HEAP_MB = 64;
const CHUNK = randomBytes(1024 * 1024);
/** Four times the edge's heap limit. */
const CHUNKS = 4 * HEAP_MB;
const BODY_BYTES = CHUNKS * CHUNK.length;

/** The API behind the edge: counts and hashes the body it receives, holds none of it. */
async function startCountingUpstream() {
  const seen = { bytes: 0, sha256: '' };
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => {
      seen.bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      seen.sha256 = hash.digest('hex');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(seen));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** POSTs CHUNKS × CHUNK, written as the socket drains, so the sender buffers nothing either. */
function postLargeBody(url: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/v1/uploads', url),
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/octet-stream',
          'content-length': String(BODY_BYTES),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    let written = 0;
    const write = () => {
      while (written < CHUNKS) {
        written++;
        if (!req.write(CHUNK)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** Peak resident memory of a Linux process, in bytes (VmHWM). */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/**
 * README: in reverse-proxy mode bodies are streamed to the upstream, not buffered. A built edge
 * with a 64 MB heap proxies a 256 MB body: it must not crash, must not grow by the body's size,
 * and the upstream must get every byte.
 */
describe('edge-auth reverse proxy streams request bodies (built edge, real Kafka and Redis)', () => {
  const isolated = isolatedServiceEnv('edge_bodies');
  let artifact: Awaited<ReturnType<typeof buildServiceArtifact>>;
  let upstream: Awaited<ReturnType<typeof startCountingUpstream>>;
  let edge: ServiceProcess;
  let topics: TableTopics;
  let key: TableKey;
  let spool: string;

  beforeAll(async () => {
    upstream = await startCountingUpstream();
    artifact = await buildServiceArtifact('apps/edge-auth');
    spool = await mkdtemp(join(tmpdir(), 'edge-bodies-'));
    const env = {
      ...infraEnv(),
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
      KAFKA_TOPIC_PREFIX: isolated.env.KAFKA_TOPIC_PREFIX,
      KEY_SERVICE_URL: 'http://127.0.0.1:9',
      UPSTREAM_URL: upstream.url,
      SPOOL_DIR: spool,
      ADMIN_PORT: '0',
    };
    edge = await startServiceProcess(artifact.entry, env, 60_000);
    await edge.ready(60_000);
    topics = await TableTopics.forEdge(loadConfig(EdgeAuthConfig, env));
    key = await topics.key(await topics.account(plan('plan_bodies', 10_000)));
    await eventually(
      async () =>
        (await fetch(new URL('/v1/ping', edge.url), {
          headers: { authorization: `Bearer ${key.plaintext}` },
        }).then((r) => r.status)) === 200,
      20_000,
      'the key at the edge',
    );
  }, 120_000);
  afterAll(async () => {
    await topics?.close();
    if (edge) expect(await edge.stop('SIGTERM')).toBe(0);
    await artifact?.remove();
    await upstream?.close();
    if (spool) await rm(spool, { recursive: true, force: true });
    await isolated.cleanup();
  });

  it(`proxies a ${BODY_BYTES / 2 ** 20} MB body with a ${HEAP_MB} MB heap, every byte upstream`, async () => {
    const expected = createHash('sha256');
    for (let i = 0; i < CHUNKS; i++) expected.update(CHUNK);
    const pid = edge.child.pid!;
    const before = await peakRss(pid);

    const res = await postLargeBody(edge.url, key.plaintext);

    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ bytes: BODY_BYTES, sha256: expected.digest('hex') });
    expect(edge.child.exitCode).toBeNull();
    expect((await fetch(new URL('/healthz', edge.url))).status).toBe(200);
    const grown = (await peakRss(pid)) - before;
    console.info(
      `reverse proxy: ${BODY_BYTES / 2 ** 20} MB body streamed, edge peak RSS ${(before / 2 ** 20).toFixed(0)} → +${(grown / 2 ** 20).toFixed(0)} MB`,
    );
    // Buffers live outside the V8 heap: the peak RSS shows a buffered body even where the heap
    // limit would not.
    expect(grown).toBeLessThan(BODY_BYTES / 4);
  }, 120_000);
});
