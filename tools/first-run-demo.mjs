// `npm start`, development only: makes sure there is a demo owner token, a demo account on a plan
// and one live key, and prints them with copy-paste commands. Idempotent: what it created is kept
// in .local/demo.json (git-ignored, this machine only) and reused while it still works.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export async function firstRunDemo({ root, host }) {
  const file = resolve(root, '.local/demo.json');
  const demo = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const admin = `http://${host}:8081`;
  const call = async (method, path, body) => {
    const res = await fetch(`${admin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${demo.ownerToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };

  if (!demo.ownerToken || (await call('GET', '/v1/me')).status !== 200) {
    const out = spawnSync(
      process.execPath,
      ['dist/apps/admin-api/main.mjs', 'bootstrap', 'demo owner'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    const token = /^(tgadm_\S+)$/m.exec(out.stdout ?? '')?.[1];
    if (!token)
      return `Demo data skipped: ${(out.stderr || out.stdout).trim()}\n(create tokens with POST ${admin}/v1/admin-tokens, or reset the admin_api schema)`;
    Object.assign(demo, { ownerToken: token, accountId: undefined, apiKey: undefined });
  }
  if (!demo.accountId || (await call('GET', `/v1/accounts/${demo.accountId}`)).status !== 200) {
    const account = await call('POST', '/v1/accounts', {
      name: 'Demo account',
      planId: 'plan_pro',
    });
    if (account.status !== 201) return `Demo account not created: ${JSON.stringify(account.body)}`;
    Object.assign(demo, { accountId: account.body.accountId, apiKey: undefined });
  }
  if (!demo.apiKey) {
    const key = await call('POST', `/v1/accounts/${demo.accountId}/keys`, { env: 'live' });
    if (key.status !== 201) return `Demo key not created: ${JSON.stringify(key.body)}`;
    demo.apiKey = key.body.plaintext;
  }
  mkdirSync(resolve(root, '.local'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return [
    'Demo (development only; kept in .local/demo.json):',
    `  console      ${admin}/console/  (sign in with the owner token)`,
    `  owner token  ${demo.ownerToken}`,
    `  account      ${demo.accountId}`,
    `  live key     ${demo.apiKey}`,
    '',
    'Try:',
    `  curl -i -H "Authorization: Bearer ${demo.apiKey}" -H "X-Original-URI: /v1/orders" http://${host}:8080/verify`,
    `  curl -s -H "Authorization: Bearer ${demo.ownerToken}" ${admin}/v1/accounts/${demo.accountId}/keys`,
  ].join('\n');
}
