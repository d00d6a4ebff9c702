import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './eventually';
import { bundleScript, startServiceProcess } from './service-process';

/** What every app's main promises on SIGTERM, checked on a real process (the shared `runService`). */
describe('runService shutdown (a real process)', () => {
  let fixture: { entry: string; remove(): Promise<void> };
  beforeAll(async () => {
    fixture = await bundleScript(join(import.meta.dirname, 'run-service.fixture.ts'));
  }, 60_000);
  afterAll(async () => {
    await fixture?.remove();
  });

  it('finishes the request in flight, then exits 0', async () => {
    const app = await startServiceProcess(fixture.entry, {});
    const answer = fetch(new URL('/in-flight', app.url)).then(async (res) => ({
      status: res.status,
      body: await res.json(),
    }));
    await eventually(
      () => app.output().includes('in-flight request started'),
      10_000,
      'the request to be in flight',
    );
    const code = await app.stop('SIGTERM');
    expect(await answer).toEqual({ status: 200, body: { finished: true } });
    expect(code).toBe(0);
    expect(app.output()).toMatch(/"msg":"stopped"/);
  });

  it('exits 1 when closing overruns SHUTDOWN_TIMEOUT_MS', async () => {
    const app = await startServiceProcess(fixture.entry, {
      HANG_ON_CLOSE: 'true',
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    const code = await app.stop('SIGTERM');
    expect(code).toBe(1);
    expect(app.output()).toMatch(/"msg":"shutdown timed out"/);
  });
});
