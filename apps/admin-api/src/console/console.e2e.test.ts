import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, workspaceRoot } from '@tollgate/test-infra';
import {
  startAdminApi,
  startInternalApp,
  startInternalApps,
  type AdminApiUnderTest,
  type InternalApps,
} from '../testing/admin-test-kit';

/**
 * The console in a real browser (Debian's chromium through playwright-core) against admin-api
 * listening on loopback, with real key-service, usage-ingestor and edge-auth processes, Kafka,
 * Postgres and Redis. Every page is checked with axe-core (no serious or critical violation);
 * screenshots go to dist/test-artifacts/console (git-ignored).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(workspaceRoot(), 'dist/test-artifacts/console');
const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describe('the admin console in a browser (real apps, Kafka, Postgres, Redis)', () => {
  let internal: InternalApps;
  let edge: Awaited<ReturnType<typeof startInternalApp>>;
  let admin: AdminApiUnderTest;
  let browser: Browser;
  let spool: string;
  let base: string;
  let owner: string;
  /** Page name → serious/critical axe violations (all must be empty) and how many rules passed. */
  const axeResults: Record<string, { seriousOrCritical: number; passes: number }> = {};
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    // A plan change inside the period is invoiced at once: the invoice pages get real invoices.
    internal = await startInternalApps({ billingEnv: { PRORATION_BEHAVIOR: 'immediate' } });
    spool = await mkdtemp(join(tmpdir(), 'console-spool-'));
    edge = await startInternalApp('apps/edge-auth', {
      KAFKA_TOPIC_PREFIX: internal.topicPrefix,
      KEY_SERVICE_URL: internal.keyServiceUrl,
      SERVICE_TOKEN: internal.edgeCredential,
      SPOOL_DIR: spool,
      METER_LINGER_MS: '5',
    });
    admin = await startAdminApi(internal, { CONSOLE_ASSETS_DIR: inject('consoleAssetsDir') });
    await admin.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(admin.app.server.address() as AddressInfo).port}`;
    owner = await admin.token({ name: 'console owner', role: 'owner' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await admin?.close();
    await edge?.stop();
    await internal?.stop();
    if (spool) await rm(spool, { recursive: true, force: true });
    console.info('console axe results', JSON.stringify(axeResults));
    console.info('console flow timings (ms)', JSON.stringify(timings));
  });

  /** A fresh browser profile whose page fails the test on any script error or CSP violation. */
  async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // Failed loads are judged by status below (the 401/403 a test provokes are expected).
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
        problems.push(`console: ${msg.text()}`);
    });
    page.on('response', (res) => {
      // usage totals answer 404 `no_usage_recorded` for an account without traffic (shown as 0 used).
      // and billing answers 404 `no_subscription` until it has consumed the account's plan.
      const noUsageYet =
        res.status() === 404 &&
        (res.url().includes('/usage/totals?') || res.url().endsWith('/upcoming-invoice'));
      if ((res.status() === 404 && !noUsageYet) || res.status() >= 500)
        problems.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
    return { context, page, problems };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  /** axe-core on the page as it is; records and asserts zero serious or critical violations. */
  async function checkAccessibility(page: Page, name: string): Promise<void> {
    // Evaluated through the DevTools protocol: the console's CSP (rightly) refuses inline scripts.
    await page.evaluate(await axeSource);
    const result = await page.evaluate(() =>
      (
        globalThis as unknown as {
          axe: {
            run(): Promise<{ violations: AxeViolation[]; passes: unknown[] }>;
          };
        }
      ).axe.run(),
    );
    const serious = result.violations.filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    axeResults[name] = { seriousOrCritical: serious.length, passes: result.passes.length };
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    expect(
      serious.map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
      ),
      name,
    ).toEqual([]);
  }

  const manage = (method: string, url: string, payload?: object) =>
    admin.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${owner}` },
      ...(payload ? { payload } : {}),
    });

  const verifyAtEdge = (key: string) =>
    fetch(new URL('/verify', edge.url), {
      headers: {
        authorization: `Bearer ${key}`,
        'x-original-uri': '/v1/orders',
        'x-original-method': 'GET',
      },
    });

  const allowedTotal = async (page: Page) => {
    await page.locator('figure.usage-chart[data-state="ready"]').first().waitFor();
    return Number(await page.locator('.total[data-outcome="allowed"]').first().textContent());
  };

  it('signs in with an admin token; the overview chart, the top keys and the account page (chart, quota, last use) show exactly the requests sent through edge-auth', async () => {
    const started = performance.now();
    const account = await manage('POST', '/v1/accounts', {
      name: 'Charted Ltd',
      planId: 'plan_pro',
    });
    expect(account.statusCode, account.body).toBe(201);
    const { accountId } = account.json<{ accountId: string }>();
    const issued = await manage('POST', `/v1/accounts/${accountId}/keys`, { env: 'live' });
    const { plaintext, key } = issued.json<{ plaintext: string; key: { keyId: string } }>();
    let sent = 0;
    await eventually(
      async () => (await verifyAtEdge(plaintext)).status === 200,
      30_000,
      'the edge to accept the new key',
    );
    sent++;
    for (let i = 0; i < 6; i++) {
      expect((await verifyAtEdge(plaintext)).status).toBe(200);
      sent++;
    }
    await eventually(
      async () => {
        const series = await manage(
          'GET',
          `/v1/accounts/${accountId}/usage/series?granularity=hour&from=${Date.now() - 86_400_000}&to=${Date.now() + 3_600_000}&outcome=allowed`,
        );
        return (
          series
            .json<{ points: Array<{ requests: number }> }>()
            .points.reduce((n, p) => n + p.requests, 0) === sent
        );
      },
      30_000,
      `${sent} allowed requests in usage`,
    );

    const { context, page, problems } = await newPage();
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { name: 'Sign in to the Tollgate console' }).waitFor();
    await checkAccessibility(page, 'sign-in');
    await signIn(page, owner);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByLabel('Account', { exact: true }).selectOption(accountId);
    expect(await allowedTotal(page)).toBe(sent);
    expect(await page.locator('figure.usage-chart canvas').count()).toBeGreaterThan(0);
    // The busiest keys of the same range: this key, with every request allowed.
    const topKey = page.getByRole('row').filter({ hasText: key.keyId });
    await topKey.waitFor();
    expect(await topKey.locator('.top-allowed').textContent()).toBe(String(sent));
    // This month's accounts by share of their quota: Charted Ltd used `sent` of Pro's 1,000,000.
    const nearQuota = page
      .getByRole('region', { name: 'Closest to their monthly quota' })
      .getByRole('row')
      .filter({ hasText: 'Charted Ltd' });
    await nearQuota.waitFor();
    expect(await nearQuota.locator('td').allTextContents()).toEqual([
      'Charted Ltd',
      'plan_pro v1',
      String(sent),
      '1,000,000',
      ' < 0.1 %',
    ]);
    expect(Number(await nearQuota.locator('meter').getAttribute('data-ratio'))).toBe(
      sent / 1_000_000,
    );
    await checkAccessibility(page, 'overview');

    await page.goto(`${base}/console/#/account/${accountId}`);
    await page.getByRole('heading', { name: 'Charted Ltd' }).waitFor();
    expect(await allowedTotal(page)).toBe(sent);
    // The quota gauge counts this month's live allowed cost units (one per request here).
    const gauge = page.locator('.quota meter');
    await gauge.waitFor();
    expect(Number(await gauge.getAttribute('value'))).toBe(sent);
    // The key's last use is known (a minute, not "—").
    const keyRow = page.getByRole('row').filter({ hasText: 'tg' }).filter({ hasText: 'live' });
    expect(await keyRow.locator('td').nth(6).textContent()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );
    await checkAccessibility(page, 'account');

    await page.getByRole('link', { name: 'Plans' }).click();
    await page.getByRole('heading', { name: 'Plans' }).waitFor();
    await page.locator('section.plan table').first().waitFor();
    await checkAccessibility(page, 'plans');

    // The CSP is in force in the browser: an inline script does not run.
    await page.addScriptTag({ content: 'globalThis.inlineRan = true' }).catch(() => undefined);
    expect(await page.evaluate(() => (globalThis as { inlineRan?: boolean }).inlineRan)).toBe(
      undefined,
    );
    expect(problems.filter((p) => !p.includes('Content Security Policy'))).toEqual([]);
    await context.close();
    timings['sign in → overview chart → account → plans'] = Math.round(performance.now() - started);
  }, 90_000);

  it('creates an account in the UI, schedules and cancels a plan change, suspends and reactivates it, issues a key (plaintext shown once), renames it in the edit dialog, revokes it with a reason (edge-auth refuses it within a second), and the audit log shows it', async () => {
    const started = performance.now();
    const { context, page, problems } = await newPage();
    await signIn(page, owner);
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    await checkAccessibility(page, 'accounts');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Account name').fill('Browser Co');
    await page.getByRole('button', { name: 'Create account' }).last().click();
    await page.getByRole('heading', { name: 'Browser Co' }).waitFor();
    const accountId = /#\/account\/(acct_\w+)/.exec(page.url())![1]!;

    // A plan change at a later date is scheduled, shown, and can be cancelled.
    const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 16);
    await page.getByRole('button', { name: 'Change plan…' }).click();
    await page.getByLabel('Plan', { exact: true }).selectOption('plan_pro');
    await page.getByLabel('Effective at (UTC)').fill(inAMonth);
    await page.getByRole('button', { name: 'Change plan', exact: true }).click();
    await page.getByText(`to plan_pro v1 at ${inAMonth.replace('T', ' ')} UTC`).waitFor();
    expect(
      (await manage('GET', `/v1/accounts/${accountId}`)).json<{ scheduledPlanChange: unknown }>()
        .scheduledPlanChange,
    ).toMatchObject({ planId: 'plan_pro' });
    await page.getByRole('button', { name: 'Cancel scheduled change…' }).click();
    await page.getByRole('button', { name: 'Cancel the change' }).click();
    await page
      .getByRole('button', { name: 'Cancel scheduled change…' })
      .waitFor({ state: 'detached' });

    // Suspend with a reason, then reactivate.
    await page.getByRole('button', { name: 'Suspend…' }).click();
    await page.getByLabel('Reason').fill('unpaid invoice');
    await page.getByRole('button', { name: 'Suspend account' }).click();
    await page.getByText('— unpaid invoice').waitFor();
    await page.getByRole('button', { name: 'Reactivate…' }).click();
    await page.getByRole('button', { name: 'Reactivate account' }).click();
    await page.getByRole('button', { name: 'Suspend…' }).waitFor();

    await page.getByRole('button', { name: 'Issue key…' }).click();
    await page.getByLabel('Name', { exact: true }).fill('checkout service');
    await page.getByRole('button', { name: 'Issue key' }).last().click();
    const secret = page.locator('dialog .secret');
    await secret.waitFor();
    const plaintext = await secret.inputValue();
    expect(plaintext).toMatch(/^tg\w*_live_/);
    await page.getByText('It is shown once').waitFor();
    await checkAccessibility(page, 'key-issued-dialog');
    await page.getByRole('button', { name: 'I have copied it, close' }).click();
    await page.getByRole('cell', { name: 'checkout service', exact: true }).waitFor();
    expect(await page.content()).not.toContain(plaintext);
    await page.reload();
    await page.getByRole('cell', { name: 'checkout service', exact: true }).waitFor();
    expect(await page.content()).not.toContain(plaintext);

    await eventually(
      async () => (await verifyAtEdge(plaintext)).status === 200,
      30_000,
      'the edge to accept the key issued in the console',
    );
    await page.getByRole('button', { name: 'Edit checkout service' }).click();
    await page.getByLabel('Name', { exact: true }).fill('checkout v2');
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('cell', { name: 'checkout v2', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Revoke checkout v2' }).click();
    await page.getByLabel('Reason').fill('leaked in a screenshot');
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('revoked (leaked in a screenshot)').waitFor();
    const revokedAt = performance.now();
    await eventually(
      async () => (await verifyAtEdge(plaintext)).status === 401,
      1_000,
      'edge-auth to refuse the revoked key within a second',
    );
    timings['revoke in UI → edge 401'] = Math.round(performance.now() - revokedAt);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Target id').fill(accountId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'key.revoke', exact: true }).waitFor();
    const actions = await page.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions).toEqual(
      expect.arrayContaining([
        'account.create',
        'account.assign_plan',
        'account.cancel_scheduled_plan_change',
        'account.suspend',
        'account.reactivate',
        'key.issue',
        'key.revoke',
      ]),
    );
    // Oldest first, as the audit log stores them.
    expect(actions.indexOf('account.create')).toBeLessThan(actions.indexOf('key.issue'));
    expect(actions.indexOf('key.issue')).toBeLessThan(actions.indexOf('key.revoke'));
    await checkAccessibility(page, 'audit');
    // The export link carries the same filters and downloads the matching events.
    const href = await page
      .getByRole('link', { name: 'Download these events (JSON Lines)' })
      .getAttribute('href');
    expect(href).toBe(`/v1/audit-events/export?target=${accountId}`);
    const exported = await page.evaluate(async (url) => (await fetch(url)).text(), href!);
    expect(
      exported
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { action: string }).action),
    ).toEqual(expect.arrayContaining(['account.create', 'key.issue', 'key.revoke']));

    await page.getByRole('link', { name: 'Admin tokens' }).click();
    await page.getByRole('cell', { name: 'console owner', exact: true }).waitFor();
    await checkAccessibility(page, 'admin-tokens');
    expect(problems).toEqual([]);
    await context.close();
    timings['create account → issue key → revoke → audit'] = Math.round(
      performance.now() - started,
    );
  }, 90_000);

  it('shows a viewer no mutation controls, and the server refuses a forged mutation from its session (403) and any cookie mutation without the CSRF token', async () => {
    const started = performance.now();
    const account = await manage('POST', '/v1/accounts', { name: 'Viewed Inc' });
    const { accountId } = account.json<{ accountId: string }>();
    await manage('POST', `/v1/accounts/${accountId}/keys`, { env: 'live', name: 'viewed key' });

    const { context, page } = await newPage();
    await signIn(page, await admin.token({ name: 'read only', role: 'viewer' }));
    await page.goto(`${base}/console/#/account/${accountId}`);
    await page.getByRole('cell', { name: 'viewed key', exact: true }).waitFor();
    await checkAccessibility(page, 'account-as-viewer');
    for (const control of [
      'Issue key…',
      'Suspend…',
      'Change plan…',
      'Revoke viewed key',
      'Rotate viewed key',
      'Edit viewed key',
    ])
      expect(await page.getByRole('button', { name: control }).count(), control).toBe(0);
    const nav = await page.getByRole('navigation').textContent();
    expect(nav).not.toContain('Audit log');
    expect(nav).not.toContain('Admin tokens');

    const forge = (csrf: boolean) =>
      page.evaluate(
        async ({ accountId, csrf }) => {
          const session = (await (await fetch('/console/session')).json()) as { csrfToken: string };
          const res = await fetch(`/v1/accounts/${accountId}/keys`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(csrf ? { 'x-csrf-token': session.csrfToken } : {}),
            },
            body: JSON.stringify({ env: 'live' }),
          });
          return {
            status: res.status,
            body: (await res.json()) as { code: string; reason?: string },
          };
        },
        { accountId, csrf },
      );
    const forged = await forge(true);
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('forbidden');
    await context.close();

    // The owner's own session: a change without the CSRF header is refused too.
    const ownerPage = await newPage();
    await signIn(ownerPage.page, owner);
    const noCsrf = await ownerPage.page.evaluate(async (id) => {
      const res = await fetch(`/v1/accounts/${id}/suspend`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'forged' }),
      });
      return { status: res.status, body: (await res.json()) as { reason?: string } };
    }, accountId);
    expect(noCsrf).toEqual({
      status: 403,
      body: expect.objectContaining({ reason: 'csrf_token_invalid' }),
    });
    expect((await manage('GET', `/v1/accounts/${accountId}`)).json()).toMatchObject({
      status: 'active',
    });
    await ownerPage.context.close();
    timings['viewer + CSRF refusals'] = Math.round(performance.now() - started);
  }, 60_000);

  it('shows finance the invoices and the exports, and previews a plan change before it is made', async () => {
    const started = performance.now();
    const customer = (await manage('POST', '/v1/accounts', { name: 'Billed Ltd' })).json<{
      accountId: string;
    }>();
    // billing knows a plan version once some account moved to it: put one on Pro, and wait until
    // billing can rate the customer's move there.
    const other = (await manage('POST', '/v1/accounts', { name: 'Pro Before Ltd' })).json<{
      accountId: string;
    }>();
    await manage('PUT', `/v1/accounts/${other.accountId}/plan`, { planId: 'plan_pro' });
    await eventually(
      async () =>
        (
          await manage('POST', `/v1/accounts/${customer.accountId}/plan-change-preview`, {
            planId: 'plan_pro',
            planVersion: 1,
          })
        ).statusCode === 200,
      30_000,
      'billing-service to rate a move to plan_pro',
    );

    const finance = await newPage();
    await signIn(finance.page, await admin.token({ name: 'finance', role: 'finance' }));
    await finance.page.getByRole('link', { name: 'Finance exports' }).click();
    const csvLink = finance.page.getByRole('link', { name: 'Invoices (CSV)' });
    await csvLink.waitFor();
    await finance.page.getByText(/^No invoices for \d{4}-\d{2}\.$/).waitFor();
    const csv = await finance.page.request.get(
      new URL((await csvLink.getAttribute('href'))!, base).href,
    );
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toMatch(/^period,invoice_id,/);
    await checkAccessibility(finance.page, 'exports');
    await finance.page.goto(`${base}/console/#/account/${customer.accountId}`);
    await finance.page.getByRole('heading', { name: 'Billing' }).waitFor();
    await finance.page.getByText('No invoices yet').waitFor();
    // finance may not change plans: no button to, and so no preview either.
    expect(await finance.page.getByRole('button', { name: 'Change plan…' }).count()).toBe(0);
    expect(finance.problems).toEqual([]);
    await finance.context.close();

    const operator = await newPage();
    await signIn(operator.page, owner);
    await operator.page.goto(`${base}/console/#/account/${customer.accountId}`);
    await operator.page.getByRole('button', { name: 'Change plan…' }).click();
    await operator.page.getByLabel('Plan', { exact: true }).selectOption('plan_pro');
    // billing-service runs PRORATION_BEHAVIOR=immediate here: a change effective now is inside
    // the period, so billing rates a proration invoice and the dialog tells what it invoices at
    // once. (The apps run on the real clock: the amounts depend on the time left in the month.)
    const rated = (
      await manage('POST', `/v1/accounts/${customer.accountId}/plan-change-preview`, {
        planId: 'plan_pro',
        planVersion: 1,
      })
    ).json<{ prorationInvoice: { totalMinor: number } | null }>();
    expect(rated.prorationInvoice).not.toBeNull();
    await operator.page.getByText(/^(Invoiced|Credited) at once for the change: /).waitFor();
    expect(await operator.page.locator('.preview').textContent()).toMatch(
      /with the change\.(Invoiced|Credited) at once for the change: \d+\.\d\d [A-Z]{3} \(a proration invoice\); [+−]\d+\.\d\d [A-Z]{3} this period in all\.$/,
    );
    await checkAccessibility(operator.page, 'plan-change-preview');
    expect(operator.problems).toEqual([]);
    await operator.context.close();
    timings['finance and preview'] = Math.round(performance.now() - started);
  }, 90_000);

  it('searches accounts (debounced, from the keyboard) and pages the matches with the cursor', async () => {
    const started = performance.now();
    const made: string[] = [];
    for (let i = 0; i < 27; i++) {
      const res = await manage('POST', '/v1/accounts', { name: `Paged Search ${i}` });
      made.push(res.json<{ accountId: string }>().accountId);
    }
    const { context, page, problems } = await newPage();
    await signIn(page, owner);
    await page.getByRole('link', { name: 'Accounts' }).click();
    const search = page.getByRole('searchbox', { name: 'Search accounts' });
    await search.focus();
    await page.keyboard.type('paged SEARCH');
    const matches = page.getByRole('table', { name: 'Accounts matching “paged SEARCH”, page 1' });
    await matches.waitFor();
    expect(await matches.locator('tbody tr').count()).toBe(25);
    await checkAccessibility(page, 'accounts-search');
    await page.getByRole('button', { name: 'Next page' }).click();
    const second = page.getByRole('table', { name: 'Accounts matching “paged SEARCH”, page 2' });
    await second.waitFor();
    expect(await second.locator('tbody tr').count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    const listed = [...(await page.locator('tbody tr td:nth-child(2)').allTextContents())];
    await page.getByRole('button', { name: 'Previous page' }).click();
    await matches.waitFor();
    listed.push(...(await page.locator('tbody tr td:nth-child(2)').allTextContents()));
    expect(listed.sort()).toEqual([...made].sort());

    // An exact id finds its account; a search without matches says so.
    await search.fill(made[3]!);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Paged Search 3', exact: true }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await search.fill('no such account');
    await page.getByText('No account matches “no such account”.').waitFor();
    await checkAccessibility(page, 'accounts-search-empty');
    expect(problems).toEqual([]);
    await context.close();
    timings['account search + paging'] = Math.round(performance.now() - started);
  }, 60_000);

  it("edits a key's scopes and expiry in the UI (a past expiry refused with the server's detail); the key view shows what edge-auth will apply", async () => {
    const started = performance.now();
    const { accountId } = (await manage('POST', '/v1/accounts', { name: 'Scoped Keys Ltd' })).json<{
      accountId: string;
    }>();
    const { key } = (
      await manage('POST', `/v1/accounts/${accountId}/keys`, {
        env: 'live',
        name: 'orders reader',
        scopes: ['orders:read'],
      })
    ).json<{ key: { keyId: string } }>();
    const { context, page, problems } = await newPage();
    await signIn(page, owner);
    await page.goto(`${base}/console/#/account/${accountId}`);
    await page.getByRole('cell', { name: 'orders:read', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit orders reader' }).click();
    expect(await page.getByLabel('Scopes').inputValue()).toBe('orders:read');
    await page.getByLabel('Scopes').fill('orders:read, orders:write');
    await page.getByLabel('Expires at (UTC)').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.locator('dialog .error').waitFor();
    expect(await page.locator('dialog .error').textContent()).toMatch(/expir/i);
    await checkAccessibility(page, 'key-edit-dialog-refused');
    const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 16);
    await page.getByLabel('Expires at (UTC)').fill(inAMonth);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('cell', { name: 'orders:read orders:write', exact: true }).waitFor();
    // What key-service now tells edge-auth (KeyUpdated carries the same state).
    const view = (await manage('GET', `/v1/keys/${key.keyId}`)).json<{
      scopes: string[];
      expiresAt: string;
      stopsWorkingAt: string;
      status: string;
    }>();
    expect(view).toMatchObject({
      scopes: ['orders:read', 'orders:write'],
      expiresAt: `${inAMonth}:00.000Z`,
      stopsWorkingAt: `${inAMonth}:00.000Z`,
      status: 'active',
    });
    const audit = await manage('GET', `/v1/audit-events?target=${key.keyId}`);
    expect(
      audit
        .json<{ items: Array<{ action: string; outcome: string }> }>()
        .items.map((e) => [e.action, e.outcome]),
    ).toEqual([
      ['key.issue', 'allowed'],
      ['key.update', 'failed'],
      ['key.update', 'allowed'],
    ]);
    expect(problems.filter((p) => !p.startsWith('400 PATCH'))).toEqual([]);
    await context.close();
    timings['edit key scopes + expiry'] = Math.round(performance.now() - started);
  }, 60_000);

  it('opens an invoice from the account page: lines with their plan segment, totals, status and a CSV download of the same lines; a missing invoice shows the problem detail', async () => {
    const started = performance.now();
    const { accountId } = (
      await manage('POST', '/v1/accounts', { name: 'Invoiced Ltd', planId: 'plan_free' })
    ).json<{ accountId: string }>();
    // An upgrade inside the period: billing-service (PRORATION_BEHAVIOR=immediate) invoices the
    // difference for the rest of the period at once.
    expect(
      (await manage('PUT', `/v1/accounts/${accountId}/plan`, { planId: 'plan_pro' })).statusCode,
    ).toBe(200);
    interface Invoice {
      invoiceId: string;
      status: string;
      currency: string;
      totalMinor: number;
      lines: Array<{ description: string; amountMinor: number }>;
    }
    let invoice: Invoice | undefined;
    await eventually(
      async () => {
        const res = await manage('GET', `/v1/accounts/${accountId}/invoices`);
        invoice = res.statusCode === 200 ? res.json<{ items: Invoice[] }>().items[0] : undefined;
        return invoice !== undefined;
      },
      30_000,
      'billing-service to invoice the upgrade',
    );
    const { invoiceId, currency } = invoice!;
    const detail = (
      await manage('GET', `/v1/accounts/${accountId}/invoices/${invoiceId}`)
    ).json<Invoice>();
    expect(detail.lines.length).toBeGreaterThan(0);
    const money = (minor: number) => `${(minor / 100).toFixed(2)} ${currency}`;

    const { context, page, problems } = await newPage();
    await signIn(page, owner);
    await page.goto(`${base}/console/#/account/${accountId}`);
    await page.getByRole('link', { name: new RegExp(`^Invoice ${invoiceId} `) }).click();
    await page.getByRole('heading', { name: 'Invoice' }).waitFor();
    const lines = page.getByRole('table', { name: `Lines of invoice ${invoiceId}` });
    await lines.waitFor();
    const rows = await Promise.all(
      (await lines.locator('tbody tr').all()).map((tr) => tr.locator('td').allTextContents()),
    );
    expect(rows.map((r) => [r[0], r[4]])).toEqual([
      ...detail.lines.map((l) => [l.description, money(l.amountMinor)]),
      ['Total', money(detail.totalMinor)],
    ]);
    for (const row of rows.slice(0, -1))
      expect(row[1]).toMatch(/^\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d · plan_\w+ v\d+$/);
    expect(await page.locator('.invoice-total').textContent()).toBe(money(detail.totalMinor));
    expect(await page.locator('.facts .status').textContent()).toBe(detail.status);
    // No Stripe in this stack, and billing's invoice view carries no Stripe id yet.
    expect(await page.locator('.facts dt:text-is("Stripe invoice") + dd').textContent()).toBe(
      'none',
    );
    await checkAccessibility(page, 'invoice');

    // The CSV link downloads the same lines (admin-api builds it from billing's invoice).
    const href = await page
      .getByRole('link', { name: 'Download this invoice (CSV)' })
      .getAttribute('href');
    expect(href).toBe(`/v1/accounts/${accountId}/invoices/${invoiceId}/csv`);
    const csv = await page.request.get(new URL(href!, base).href);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers()['content-disposition']).toBe(`attachment; filename="${invoiceId}.csv"`);
    const csvRows = (await csv.text()).trim().split('\r\n');
    expect(csvRows[0]).toMatch(/^invoice_id,period,status,currency,line_no,kind,description,/);
    expect(csvRows).toHaveLength(detail.lines.length + 2);
    expect(csvRows.at(-1)!.endsWith(`,total,Total,,,,,,${detail.totalMinor}`)).toBe(true);

    // No such invoice (billing-service answers): the problem's detail, not a blank page.
    const missing = 'inv_01JDQ3W8Y6T4K2M9N7P5R3S1V8';
    await page.goto(`${base}/console/#/invoice/${accountId}/${missing}`);
    await page.getByText(`Could not load the invoice: no invoice ${missing}`).waitFor();
    await checkAccessibility(page, 'invoice-missing');
    expect(problems).toEqual([`404 GET ${base}/v1/accounts/${accountId}/invoices/${missing}`]);
    await context.close();
    timings['invoice detail + CSV'] = Math.round(performance.now() - started);
  }, 60_000);

  it('shows an account-scoped token only its own account', async () => {
    const started = performance.now();
    const mine = (await manage('POST', '/v1/accounts', { name: 'Self Service GmbH' })).json<{
      accountId: string;
    }>();
    const other = (await manage('POST', '/v1/accounts', { name: 'Someone Else SA' })).json<{
      accountId: string;
    }>();
    const { context, page } = await newPage();
    await signIn(
      page,
      await admin.token({ name: 'customer', role: 'admin', accountId: mine.accountId }),
    );
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'Self Service GmbH' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.content()).not.toContain('Someone Else SA');
    await checkAccessibility(page, 'accounts-scoped');
    await page.getByLabel('Account id').fill(other.accountId);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByText('Could not load the account: Not found').waitFor();
    expect(await page.content()).not.toContain('Someone Else SA');
    await context.close();
    timings['account-scoped token'] = Math.round(performance.now() - started);
  }, 60_000);

  it('works from the keyboard, and signing out then going back or reloading shows the sign-in page and no data', async () => {
    const started = performance.now();
    const { context, page } = await newPage();
    // Keyboard only: the token field has focus, Enter signs in, the first Tab reaches the skip link.
    await page.goto(`${base}/console/`);
    await page.getByLabel('Admin token').waitFor();
    await page.keyboard.type(owner);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').getAttribute('id')).toBe('main');

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'Charted Ltd' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Sign in to the Tollgate console' }).waitFor();
    expect(await page.content()).not.toContain('Charted Ltd');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to the Tollgate console' }).waitFor();
    expect(await page.content()).not.toContain('Charted Ltd');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'tg_console_session')).toBeUndefined();
    await context.close();
    timings['keyboard sign-in + sign-out, back, reload'] = Math.round(performance.now() - started);
  }, 60_000);
});
