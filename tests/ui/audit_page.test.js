// The auditor's page in a real browser: Debian's headless Chromium driven by
// playwright-core, against the real `carebridge serve` on a throwaway store.
// The Trust posts the golden referral (so the log holds its journey), then
// the test signs in as the demo auditor, filters by the person's NHS number,
// opens an event, checks the verification badge and the in-browser
// inclusion check, saves screenshots, and checks the page at 200% zoom and
// with the keyboard alone. It fails on any request that leaves the gateway.
//
// Usage: node audit_page.test.js   (tests/ui/run.sh sets the environment)
//   CAREBRIDGE_BINARY   the carebridge executable
//   CAREBRIDGE_SOURCE   the repository (config/demo.json, tests/golden/)
//   ARTIFACTS_DIR       where the screenshots go
//   CHROMIUM            the browser (default /usr/bin/chromium)
//   NODE_PATH           playwright-core, and FHIR.js (npm `fhir`) when the export is to be validated too
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const binary = process.env.CAREBRIDGE_BINARY;
const source = process.env.CAREBRIDGE_SOURCE;
const artifacts = process.env.ARTIFACTS_DIR || path.join(source || '.', 'build', 'test-artifacts');
const nhs = '9990000085';
const stepTimeout = 20000;

let work;
let gateway;
let base;
let browser;

// Starts `carebridge serve` on the demo partnership, port 0, a fresh data
// directory; resolves with its base URL once it prints the listening line.
function startGateway() {
  return new Promise((resolve, reject) => {
    gateway = spawn(binary, ['serve', '--config', path.join(source, 'config', 'demo.json'),
      '--listen', '127.0.0.1:0', '--data', path.join(work, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${stderr}`)), 30000);
    gateway.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /carebridge: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match && !base) {
        clearTimeout(timer);
        base = match[1];
        resolve(base);
      }
    });
    gateway.on('exit', (code) => {
      if (!base) {
        clearTimeout(timer);
        reject(new Error(`the gateway exited with ${code}:\n${stderr}`));
      }
    });
  });
}

async function postGoldenReferral() {
  const body = fs.readFileSync(path.join(source, 'tests', 'golden', 'referral.fhir.json'));
  const response = await fetch(`${base}/fhir`, {
    method: 'POST',
    headers: { Authorization: 'Bearer demo-trust', 'Content-Type': 'application/fhir+json' },
    body,
  });
  const text = await response.text();
  assert.ok(response.status === 201 || response.status === 422, `POST /fhir answered ${response.status}: ${text}`);
  return response.status;
}

// A page that records any request to another origin and any script error.
async function openPage(contextOptions) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  page.setDefaultTimeout(stepTimeout);
  page.outside = [];
  page.errors = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${base}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) page.outside.push(url);
  });
  page.on('pageerror', (error) => page.errors.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') page.errors.push(message.text()); });
  page.on('response', (response) => { if (response.status() >= 400) page.errors.push(`${response.status()} ${response.url()}`); });
  return { context, page };
}

async function signIn(page) {
  const response = await page.goto(`${base}/ui/audit`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], /^default-src 'self'/);
  await page.getByLabel("Auditor's token").fill('demo-auditor');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
}

before(async () => {
  assert.ok(binary && source, 'set CAREBRIDGE_BINARY and CAREBRIDGE_SOURCE (tests/ui/run.sh does)');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'carebridge-ui-'));
  fs.mkdirSync(artifacts, { recursive: true });
  await startGateway();
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Containers give /dev/shm little room; root needs --no-sandbox.
    args: ['--disable-dev-shm-usage', ...(root ? ['--no-sandbox'] : [])],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the page is refused to no one, but its data is: the API wants the token', async () => {
  const page = await fetch(`${base}/ui/audit/audit.js`);
  assert.equal(page.status, 200);
  const data = await fetch(`${base}/audit/events`);
  assert.equal(data.status, 401);
});

test('an auditor signs in, filters by NHS number, opens an event and verifies it in the browser', async () => {
  const posted = await postGoldenReferral();
  const { context, page } = await openPage({ viewport: { width: 1280, height: 900 } });
  try {
    await signIn(page);

    // The badge: the whole log recomputed by the gateway, as `carebridge audit verify` does.
    const badge = page.locator('#verification-badge');
    await page.waitForFunction(() => !/Checking/.test(document.getElementById('verification-badge').textContent));
    assert.match(await badge.textContent(), /^Log intact: all \d+ entries check out$/);

    // Filter by the person's NHS number.
    await page.locator('#filter-form').getByLabel('NHS number', { exact: true }).fill(nhs);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => /^Showing \d+ event/.test(document.getElementById('events-status').textContent));
    const rows = page.locator('#events-body tr');
    const count = await rows.count();
    assert.ok(count >= 2, `expected the referral's journey, got ${count} rows`);
    const shown = await page.locator('#events-body td[data-label="NHS number"]').allTextContents();
    assert.ok(shown.every((value) => value === nhs), `rows for other people: ${shown}`);
    const actions = await page.locator('#events-body td[data-label="Action"]').allTextContents();
    assert.ok(actions.includes('received'), `no received event among ${actions}`);
    if (posted === 201) assert.ok(actions.includes('disclosed'), `no disclosure among ${actions}`);

    // Open a disclosure (or the receipt), by keyboard: focus its button and press Enter.
    const wanted = actions.includes('disclosed') ? 'disclosed' : 'received';
    const row = rows.filter({ has: page.locator('td[data-label="Action"]', { hasText: wanted }) }).first();
    const open = row.getByRole('button');
    const seq = await open.getAttribute('data-seq');
    await open.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'event-dialog-title');
    assert.match(await dialog.getByRole('heading', { level: 2 }).textContent(), new RegExp(`^Event ${seq}: ${wanted}$`));
    assert.match(await dialog.textContent(), /Contents match hash\s*yes/);

    // Inclusion, checked in the browser against the signed checkpoint's root.
    await dialog.getByRole('button', { name: 'Verify inclusion in the signed log' }).click();
    const result = page.locator('#inclusion-result');
    await page.waitForFunction(() => /included/i.test(document.getElementById('inclusion-result').textContent));
    assert.match(await result.textContent(), /^Included in checkpoint \d+ \(signed [^)]+\); proof of \d+ hashes verified in this browser/);
    await page.screenshot({ path: path.join(artifacts, 'audit-page.png') });

    // Escape closes the dialog and gives focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.dataset.seq), seq);

    // The chart has a bar for the recipient when something was disclosed.
    if (posted === 201) {
      await page.locator('#chart svg rect').first().waitFor();
      assert.ok((await page.locator('#chart-table tbody tr').count()) >= 1);
    }
    await page.screenshot({ path: path.join(artifacts, 'audit-page-full.png'), fullPage: true });

    // Who saw my data: the report for the person.
    await page.locator('#report-nhs').fill(nhs);
    await page.getByRole('button', { name: 'Show report' }).click();
    await page.locator('#report-output h3').waitFor();
    assert.match(await page.locator('#report-output').textContent(), new RegExp(`Report for NHS number ${nhs}`));

    assert.deepEqual(page.outside, [], 'requests that left the gateway');
    assert.deepEqual(page.errors, [], 'script errors');
  } finally {
    await context.close();
  }
});

test('at 200% zoom the events reflow into cards and stay usable without sideways scrolling', async () => {
  // 200% zoom on a 1280-pixel-wide window: 640 CSS pixels, each drawn twice as large.
  const { context, page } = await openPage({ viewport: { width: 640, height: 900 }, deviceScaleFactor: 2 });
  try {
    await signIn(page);
    await page.locator('#filter-form').getByLabel('NHS number', { exact: true }).fill(nhs);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => /^Showing \d+ event/.test(document.getElementById('events-status').textContent));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    // The header row is hidden visually and each cell carries its label.
    assert.equal(await page.locator('#events-table thead').evaluate((e) => e.getBoundingClientRect().height <= 1), true);
    const first = page.locator('#events-body tr').first();
    const box = await first.boundingBox();
    assert.ok(box.width <= 640, `a row is ${box.width}px wide`);
    const label = await first.locator('td[data-label="Time (UTC)"]').evaluate((td) => getComputedStyle(td, '::before').content);
    assert.equal(label, '"Time (UTC)"');
    // Every filter and the first event's button are in view when scrolled to and can be used.
    for (const name of ['NHS number', 'Organisation (acted or received)', 'Recipient', 'Action', 'Outcome']) {
      const input = page.locator('#filter-form').getByLabel(name, { exact: true });
      const b = await input.boundingBox();
      assert.ok(b && b.width > 100 && b.x >= 0 && b.x + b.width <= 640, `${name} is ${JSON.stringify(b)}`);
    }
    await first.getByRole('button').click();
    await page.getByRole('dialog').waitFor();
    const dialogBox = await page.getByRole('dialog').boundingBox();
    assert.ok(dialogBox.x >= 0 && dialogBox.x + dialogBox.width <= 640, `the dialog is ${JSON.stringify(dialogBox)}`);
    await page.keyboard.press('Escape');
    await page.screenshot({ path: path.join(artifacts, 'audit-page-200-percent.png'), fullPage: true });
    assert.deepEqual(page.outside, [], 'requests that left the gateway');
    assert.deepEqual(page.errors, [], 'script errors');
  } finally {
    await context.close();
  }
});

test('the FHIR export of the journey is valid R4 to FHIR.js', async (t) => {
  let Fhir;
  try {
    ({ Fhir } = require('fhir'));
  } catch (_) {
    t.skip('FHIR.js is not installed (deploy/install-fhir-validator.sh)');
    return;
  }
  const response = await fetch(`${base}/audit/events?limit=50`, {
    headers: { Authorization: 'Bearer demo-auditor', Accept: 'application/fhir+json' },
  });
  assert.equal(response.status, 200);
  const bundle = await response.json();
  assert.ok(bundle.entry.length >= 4, `only ${bundle.entry.length} AuditEvents`);
  const fhir = new Fhir();
  for (const document of [bundle, ...bundle.entry.map((e) => e.resource)]) {
    const result = fhir.validate(document, { errorOnUnexpected: true });
    const errors = result.messages.filter((m) => m.severity === 'error').map((m) => `${m.location}: ${m.message}`);
    assert.deepEqual(errors, [], `${document.resourceType} ${document.id || ''}`);
  }
});

test('a token that may not read the log is told so and sees nothing', async () => {
  const { context, page } = await openPage({ viewport: { width: 1024, height: 700 } });
  try {
    await page.goto(`${base}/ui/audit`);
    await page.getByLabel("Auditor's token").fill('demo-trust');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token may not read the audit log.').waitFor();
    assert.equal(await page.locator('#workspace').isVisible(), false);
    await page.getByLabel("Auditor's token").fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The gateway refused the token.').waitFor();
  } finally {
    await context.close();
  }
});
