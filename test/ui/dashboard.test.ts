/**
 * The /ui dashboard in a real browser: Debian's chromium driven by playwright-core. The page
 * loads with no network beyond flowgate, shows the endpoints of a running server, its
 * numbers change after traffic, and a rollout step shows. Takes a screenshot into
 * test/.generated/; with UPDATE_SCREENSHOTS=1 it becomes the README's (docs/dashboard.png).
 * Skips with a message where chromium is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO } from '../helpers/fixtures.js';
import { copyExampleRegistry } from '../helpers/registry.js';
import { invoke, startGateway, type GatewayUnderTest } from '../routing/helpers.js';
import { rolloutView, until } from '../rollout/helpers.js';

/** The page's document, as the functions given to waitForFunction use it (they run in Chromium, not here). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }> & { length: number };
};

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`${CHROMIUM} not found (apt-get install -y chromium): skipping the /ui browser test`);

describe.skipIf(!HAVE_CHROMIUM)('GET /ui in chromium', { timeout: 120_000 }, () => {
  let root: string;
  let profile: string;
  let gw: GatewayUnderTest;
  let browser: BrowserContext;

  beforeAll(async () => {
    root = copyExampleRegistry();
    profile = mkdtempSync(join(tmpdir(), 'flowgate-chromium-'));
    gw = await startGateway(
      `
endpoints:
  iris:
    variants:
      - { name: champion,   model: "models:/iris@champion" }
      - { name: challenger, model: "models:/iris@challenger" }
    shadow: [ { name: candidate, model: "models:/iris/2" } ]
    feedback: {}
    rollout: { from: champion, to: challenger, steps: [10, 50, 100], step_seconds: 600, poll_seconds: 0.2, gates: { min_requests: 5, max_error_rate: 0.05 } }
`,
      { trackingUri: root },
    );
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  test('shows the endpoints, live numbers and the rollout step', async () => {
    const url = gw.server.url;
    await until(async () => (await rolloutView(url)).phase === 'running', 30_000, 'the rollout to start');
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) elsewhere.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/ui`);
    const champion = page.locator('[data-testid=variant][data-variant=champion] [data-testid=requests]');
    await champion.waitFor({ timeout: 45_000 });
    expect(await page.locator('[data-testid=endpoint] h2').allTextContents()).toEqual(['iris']);
    const before = Number(await champion.textContent());

    const rewards = [];
    for (let i = 0; i < 80; i++) {
      const a = await invoke(url, '/endpoints/iris/invocations', { 'x-request-id': `ui-${i}` });
      expect(a.status).toBe(200);
      rewards.push({ request_id: `ui-${i}`, reward: a.variant === 'champion' ? 0.8 : 0.9 });
    }
    await fetch(`${url}/endpoints/iris/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rewards) });
    const total = async () => Number(await champion.textContent()) + Number(await page.locator('[data-testid=variant][data-variant=challenger] [data-testid=requests]').textContent());
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid=variant] [data-testid=requests]')].reduce((s, td) => s + Number(td.textContent), 0) >= 80,
      null,
      { timeout: 45_000 },
    );
    expect(await total()).toBeGreaterThanOrEqual(80 + before);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=variant][data-variant=champion] [data-testid=rps]')?.textContent) > 0, null, { timeout: 45_000 });

    expect(await page.locator('[data-testid=rollout-phase]').textContent()).toBe('running');
    expect(await page.locator('[data-testid=rollout-step]').textContent()).toBe('step 1 of 3');
    await page.waitForFunction(() => document.querySelectorAll('.uplot').length === 2, null, { timeout: 45_000 });
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    const shot = process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'dashboard.png') : join(REPO, 'test', '.generated', 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
  });
});
