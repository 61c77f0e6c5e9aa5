// The portal and the console in a real browser (Debian's Chromium through playwright-core),
// against the local runtime: the credential-create mail to a first sign-in, a bolt-on
// ordered then approved in the console, an impersonation with its banner and audit entry,
// and the rest below. Every test has a runtime of its own, started on a fresh folder with
// the demo data, and a browser context of its own, so no test sees what another did and
// each can run alone (`node --test --test-name-pattern ...`). Every page visited is checked
// with axe-core (nothing serious or critical allowed) and photographed into
// test-results/screenshots/.
//
// Needs the sites built (`npm run build`) and the runtime built (`cargo build`); infra/test.sh
// does both. SELFCARE_LOCAL_BIN and CHROMIUM override where they are.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const binary = process.env.SELFCARE_LOCAL_BIN ?? join(root, 'target', 'debug', 'selfcare-local');
const axeScript = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const shots = join(here, '..', 'test-results', 'screenshots');

const STAFF = { username: 'admin', password: 'console-demo-2026' };
const JO = { username: 'jo', password: 'portal-demo-2026' };
const LANDLINE = '+61255501234';
/// The landline as people read it on the sites (libphonenumber's spacing).
const LANDLINE_SHOWN = '+61 2 5550 1234';

let server;
let browser;
let context;
let base;
let data;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
});

// A runtime of the test's own (a fresh folder seeded with the demo data, its own port; it
// starts in about 0.2 s) and a browser context of its own (no cookies or storage shared).
beforeEach(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  data = mkdtempSync(join(tmpdir(), 'selfcare-web-'));
  await startRuntime();
  // axe is injected as a script; the sites' CSP (script-src 'self') would refuse it.
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1100, height: 800 }, locale: 'en-AU' });
});

/// Starts the test's runtime on its port and folder (again, after a test stopped it).
async function startRuntime(extra = []) {
  const port = new URL(base).port;
  server = spawn(binary, ['--listen', `127.0.0.1:${port}`, '--data-dir', data, '--web-dir', join(here, '..', 'dist'), ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error('the local runtime did not start in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/// Stops the runtime at once, as a crash or a machine switched off would.
async function killRuntime() {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGKILL');
  await exited;
  server = null;
}

afterEach(async () => {
  await context?.close();
  if (server) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill();
    await exited;
  }
  if (data) rmSync(data, { recursive: true, force: true });
});

/// Runs axe on the page as it is and keeps a screenshot of it.
async function check(page, name) {
  await page.addScriptTag({ path: axeScript });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }),
  );
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  assert.deepEqual(serious, [], `axe found problems on ${name}`);
}

/// The first message of the local outbox that `matches`, waiting for the notifier to send
/// it (the table's stream reaches it a moment after the change).
async function mail(matches) {
  for (let i = 0; i < 100; i++) {
    const found = (await (await fetch(`${base}/_local/outbox.json`)).json()).find(matches);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('no such mail reached the local outbox in 10 s');
}

async function signIn(page, url, who) {
  await page.goto(url);
  await page.getByLabel('Username or email').fill(who.username);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function console_(tenant = 'acme') {
  const page = await context.newPage();
  await signIn(page, `${base}/console/?tenant=${tenant}`, STAFF);
  await page.getByRole('heading', { name: 'Pending orders' }).waitFor();
  return page;
}

test('the credential-create email leads to a first sign-in', async () => {
  const staff = await console_();
  await check(staff, 'console-pending-orders');
  await staff.getByRole('link', { name: 'Accounts' }).click();
  await staff.getByRole('link', { name: 'Harbour Dental Pty Ltd' }).click();
  await staff.getByRole('button', { name: 'Send the set-up email' }).click();
  await staff.getByText('The set-up email is on its way.').waitFor();
  await check(staff, 'console-account');

  const setUp = await mail((m) => m.to.includes('accounts@harbourdental.example') && m.subject.includes('Set up'));
  const raw = (await (await fetch(`${base}/_local/outbox/${setUp.id}`)).text()).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link = raw.match(/http:\/\/127\.0\.0\.1:\d+\/credentials\/create\?tenant=acme#token=[A-Za-z0-9_-]+/);
  assert.ok(link, 'the mail carries the link');

  const portal = await context.newPage();
  await portal.goto(link[0]);
  await portal.getByText('Hello Harbour Dental Pty Ltd').waitFor();
  await check(portal, 'portal-credentials-create');
  await portal.getByLabel('Username', { exact: true }).fill('harbour');
  await portal.getByLabel('Password (12 characters or more)').fill('a long harbour password');
  await portal.getByRole('button', { name: 'Create my access' }).click();
  await portal.getByText('Your access is ready. Sign in with it now.').waitFor();
  await portal.getByRole('button', { name: 'Sign in' }).click();
  await portal.getByLabel('Username or email').fill('harbour');
  await portal.getByLabel('Password', { exact: true }).fill('a long harbour password');
  await check(portal, 'portal-sign-in');
  await portal.getByRole('button', { name: 'Sign in' }).click();
  await portal.getByRole('heading', { name: 'Welcome, Harbour Dental Pty Ltd' }).waitFor();

  // The link worked once.
  const again = await context.newPage();
  await again.goto(link[0]);
  await again.getByText('This link has been used or has expired.').waitFor();
  await Promise.all([staff.close(), portal.close(), again.close()]);
});

test("the order mail's link opens the order after sign-in, where the customer withdraws it", async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  await portal.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
  await portal.getByLabel('Where it is installed').fill('12 Wharf Road, Balmain');
  await portal.getByRole('button', { name: 'Place the order' }).click();
  await portal.getByText(/^Order placed: New service on /).waitFor();
  const told = await mail((m) => /^Order O-\w+ received$/.test(m.subject));
  const raw = (await (await fetch(`${base}/_local/outbox/${told.id}`)).text()).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link = raw.match(/http:\/\/127\.0\.0\.1:\d+\/orders\/[0-9A-Z]{26}\?tenant=acme/);
  assert.ok(link, 'the mail links to the order');

  // A new tab has no session: it signs in and lands on the order, not the overview.
  const fromMail = await context.newPage();
  await signIn(fromMail, link[0], JO);
  await fromMail.getByRole('heading', { name: /^Order O-\w+ Waiting for approval$/ }).waitFor();
  assert.match(await fromMail.title(), /^Order O-/);
  await fromMail.getByText('12 Wharf Road, Balmain').waitFor();
  await fromMail.getByRole('button', { name: 'Withdraw this order' }).click();
  await check(fromMail, 'portal-order-withdraw');
  await fromMail.getByRole('button', { name: 'Withdraw it' }).click();
  await fromMail.getByRole('heading', { name: /Withdrawn$/ }).waitFor();
  assert.equal(await fromMail.getByRole('button', { name: 'Withdraw this order' }).count(), 0);
  await fromMail.getByRole('list').getByText(/Withdrawn · Customer/).waitFor();
  const reference = (await fromMail.getByRole('heading', { level: 1 }).textContent()).match(/O-\w+/)[0];

  // The order list narrows by state: withdrawn shows it, waiting does not.
  await portal.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
  const filters = portal.getByRole('form', { name: 'Narrow the orders' });
  await filters.getByLabel('State').selectOption('withdrawn');
  await filters.getByRole('button', { name: 'Show' }).click();
  await portal.getByRole('link', { name: reference }).waitFor();
  await filters.getByLabel('State').selectOption('pending');
  await filters.getByRole('button', { name: 'Show' }).click();
  await portal.getByRole('link', { name: reference }).waitFor({ state: 'detached' });
  await check(portal, 'portal-orders-filtered');

  // Staff no longer have it to approve.
  const staff = await console_();
  await staff.getByText('No orders are waiting for approval.').waitFor();
  await Promise.all([portal.close(), fromMail.close(), staff.close()]);
});

test('a bolt-on ordered on the portal is approved in the console and then active', async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  // The overview: this month's allowance as a meter, recent orders, plans and prices.
  await portal.getByText(new RegExp(`^\\${LANDLINE_SHOWN}: [\\d,]+ of [\\d,]+ minutes used, [\\d,]+ left$`)).waitFor();
  assert.equal(await portal.locator('progress').count(), 1);
  await portal.getByRole('heading', { name: 'Recent orders' }).waitFor();
  await portal.getByRole('cell', { name: /a month$/ }).first().waitFor();
  await check(portal, 'portal-overview');
  await portal.getByRole('navigation').getByRole('link', { name: 'Services' }).click();
  await portal.getByRole('link', { name: LANDLINE_SHOWN }).first().click();
  await portal.getByRole('heading', { name: LANDLINE_SHOWN }).waitFor();
  await portal.getByRole('button', { name: 'Add International 60 minutes' }).click();
  await portal.getByText(`Order placed: Bolt-on International 60 minutes on ${LANDLINE_SHOWN}.`).waitFor();
  await portal.getByRole('status').getByText('Waiting for approval').waitFor();
  // What was just ordered cannot be ordered twice: its button is off, and after a reload
  // the API refuses the same order again, which the page shows as waiting.
  const ordered = portal.getByRole('button', { name: 'Ordered, waiting for approval International 60 minutes' });
  assert.ok(await ordered.isDisabled(), 'the ordered bolt-on cannot be ordered again');
  await check(portal, 'portal-service');
  await portal.reload();
  await portal.getByRole('button', { name: 'Add International 60 minutes' }).click();
  await ordered.waitFor();
  assert.ok(await ordered.isDisabled());
  assert.equal(await portal.getByRole('alert').count(), 0, 'no error: it is simply waiting');

  const staff = await console_();
  await staff.getByRole('button', { name: `Approve: Bolt-on International 60 minutes on ${LANDLINE_SHOWN}` }).click();
  await staff.getByText('No orders are waiting for approval.').waitFor();
  await staff.getByRole('link', { name: 'Order history' }).click();
  await staff.getByText(`Bolt-on International 60 minutes on ${LANDLINE_SHOWN}`).waitFor();
  await check(staff, 'console-order-history');
  await staff.getByRole('link', { name: 'Provisioning' }).click();
  await staff.getByText('Nothing is waiting to be provisioned.').waitFor();
  await check(staff, 'console-provisioning');

  await portal.reload();
  await portal.getByRole('button', { name: 'Remove International 60 minutes' }).waitFor();
  const row = portal.getByRole('row', { name: /International 60 minutes/ });
  await row.getByText('Active').waitFor();
  await portal.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
  await portal.getByRole('cell', { name: `Bolt-on International 60 minutes on ${LANDLINE_SHOWN}` }).waitFor();
  await portal.getByRole('row').filter({ has: portal.getByRole('cell', { name: `Bolt-on International 60 minutes on ${LANDLINE_SHOWN}` }) }).getByText('Done').waitFor();
  await check(portal, 'portal-orders');
  await portal.getByRole('navigation').getByRole('link', { name: 'Usage' }).click();
  await portal.getByText('Spend by day').first().waitFor();
  // Money with its currency; this month and the eleven before it to choose from.
  await portal.getByText(/Total so far: \$\d/).waitFor();
  assert.equal(await portal.getByLabel('Month').locator('option').count(), 12);
  // Each service's month by usage type, and its records a page at a time.
  await portal.getByRole('heading', { name: 'By service' }).waitFor();
  await portal.getByRole('button', { name: `Records of ${LANDLINE_SHOWN}` }).click();
  await portal.getByRole('heading', { name: `Records of ${LANDLINE_SHOWN}` }).waitFor();
  await portal.getByRole('cell', { name: 'Call', exact: true }).first().waitFor();
  await check(portal, 'portal-usage');
  // An earlier month: nothing was used then.
  const earlier = await portal.getByLabel('Month').locator('option').nth(1).getAttribute('value');
  await portal.getByLabel('Month').selectOption(earlier);
  await portal.getByText(/^No spend in \w+ \d{4}\.$/).waitFor();
  await portal.setViewportSize({ width: 390, height: 844 });
  await check(portal, 'portal-usage-phone');
  await Promise.all([staff.close(), portal.close()]);
});

test('an impersonation shows its banner, is in the audit trail and in the customer\'s access history', async () => {
  const staff = await console_();
  await staff.getByRole('link', { name: 'Accounts' }).click();
  await check(staff, 'console-accounts');
  await staff.getByRole('link', { name: 'Jo Bloggs' }).click();
  const [portal] = await Promise.all([
    context.waitForEvent('page'),
    staff.getByRole('button', { name: 'Use the portal as this login' }).click(),
  ]);
  await portal.getByText('admin from your provider is using the portal as you').waitFor();
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  await check(portal, 'portal-impersonated');

  // The customer page: services with plan and price, orders with their facts.
  await staff.getByRole('heading', { name: 'Services' }).waitFor();
  await staff.getByRole('cell', { name: /a month/ }).first().waitFor();
  await staff.getByRole('heading', { name: 'Usage this month' }).waitFor();
  await staff.getByRole('cell', { name: /^\$\d/ }).first().waitFor();
  await staff.getByRole('heading', { name: 'Orders' }).waitFor();
  // The account's own trail on its page: the impersonation in words; the whole trail a link away.
  await staff.reload();
  const ownTrail = staff.getByRole('region', { name: 'Audit trail' });
  await ownTrail.getByRole('cell', { name: 'Signed in as the customer' }).first().waitFor();
  await check(staff, 'console-customer-page');
  await ownTrail.getByRole('link', { name: "The account's whole trail: days, staff, CSV" }).click();
  await staff.getByText('Jo Bloggs (100001) only').waitFor();
  await staff.getByRole('cell', { name: 'Signed in as the customer' }).first().waitFor();
  // The whole trail narrowed to one staff member and to days, and as a CSV file.
  await staff.getByRole('navigation').getByRole('link', { name: 'Audit trail' }).click();
  await staff.getByRole('heading', { name: 'Audit trail' }).waitFor();
  assert.match(await staff.title(), /^Audit trail · Acme Telecom/);
  const admin = await staff.getByLabel('Staff member').locator('option', { hasText: 'admin' }).first().getAttribute('value');
  await staff.getByLabel('Staff member').selectOption(admin);
  await staff.getByRole('button', { name: 'Show' }).click();
  await staff.getByRole('cell', { name: 'Signed in as the customer' }).first().waitFor();
  await check(staff, 'console-audit');
  // A column's heading sorts the rows shown, and says so.
  await staff.getByRole('button', { name: /^When/ }).click();
  assert.equal(await staff.getByRole('columnheader', { name: /^When/ }).getAttribute('aria-sort'), 'ascending');
  await staff.getByRole('button', { name: /^When/ }).click();
  assert.equal(await staff.getByRole('columnheader', { name: /^When/ }).getAttribute('aria-sort'), 'descending');
  const [trail] = await Promise.all([staff.waitForEvent('download'), staff.getByRole('button', { name: 'Download CSV' }).click()]);
  const rows = (await (await import('node:fs/promises')).readFile(await trail.path(), 'utf8')).trim().split(/\r?\n/);
  assert.equal(rows[0], 'at,staff member,acting as,account,action,detail,request id');
  assert.ok(rows.slice(1).some((row) => row.includes('impersonation.started')), rows.join('\n'));
  await staff.getByLabel('From').fill('2001-01-01');
  await staff.getByLabel('To').fill('2001-01-31');
  await staff.getByRole('button', { name: 'Show' }).click();
  await staff.getByText('No entries match.').waitFor();

  // Jo, signed in as herself, sees that staff came in.
  const own = await context.newPage();
  await signIn(own, `${base}/?tenant=acme`, JO);
  await own.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  await own.getByRole('navigation').getByRole('link', { name: 'Account' }).click();
  await own.getByRole('link', { name: 'Access history' }).click();
  await own.getByRole('cell', { name: /impersonation/ }).first().waitFor();
  await check(own, 'portal-access-history');
  await Promise.all([staff.close(), portal.close(), own.close()]);
});

test('voice: a number ordered from the inventory, forwarding changed at once, a colleague invited, an alert, French', async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  await portal.getByRole('navigation').getByRole('link', { name: 'Numbers' }).click();
  await portal.getByLabel('Area code').fill('02');
  await portal.getByRole('button', { name: 'Search' }).click();
  await portal.getByRole('button', { name: 'Order +61255507001' }).click();
  await portal.getByText('Order placed: Number +61 2 5550 7001 on Business Voice.').waitFor();
  await check(portal, 'portal-numbers');
  await portal.getByRole('link', { name: 'Bring a number from another carrier' }).click();
  await portal.getByLabel('Number to bring').waitFor();
  await check(portal, 'portal-port');

  // Acme approves call forwarding at once (demo settings): the service shows it after.
  await portal.getByRole('navigation').getByRole('link', { name: 'Services' }).click();
  await portal.getByRole('link', { name: LANDLINE_SHOWN }).first().click();
  await portal.getByLabel('Forward every call to').fill('+61 2 5550 9999');
  await portal.getByRole('button', { name: 'Request the change' }).first().click();
  await portal.getByText(`Order placed: Change call forwarding on ${LANDLINE_SHOWN}.`).waitFor();
  await portal.getByRole('status').getByText('Done').waitFor();
  // Australian numbers take an emergency address with Acme: the form is there.
  await portal.getByRole('heading', { name: 'Emergency address (E911)' }).waitFor();
  await portal.getByLabel('New cost centre').fill('Sales');
  await portal.getByRole('button', { name: 'Add', exact: true }).click();
  await portal.waitForFunction(() => document.querySelector('#field-cost-centre')?.selectedOptions[0]?.textContent === 'Sales');
  await check(portal, 'portal-voice-service');
  // Every number in one list with its features; the forwarding just changed is there.
  await portal.getByRole('navigation').getByRole('link', { name: 'Services' }).click();
  await portal.getByRole('heading', { name: 'Your numbers and their features' }).waitFor();
  const row = portal.getByRole('row').filter({ has: portal.getByRole('link', { name: LANDLINE_SHOWN }) }).last();
  await row.getByRole('cell', { name: '+61 2 5550 9999' }).waitFor();
  await check(portal, 'portal-numbers-list');
  await portal.getByRole('navigation').getByRole('link', { name: 'Account' }).click();
  // The owner gives a colleague a login: a set-up email goes to them.
  await portal.getByRole('cell', { name: /^jo/ }).waitFor();
  await portal.getByLabel('Name', { exact: true }).fill('Alex Tran');
  await portal.getByLabel('Support email').fill('alex@bloggs.example');
  await portal.getByRole('button', { name: 'Send the invitation' }).click();
  await portal.getByText('The invitation is on its way.').waitFor();
  await mail((m) => m.to.includes('alex@bloggs.example'));
  // Alex shows as invited, with how long the link works, until Alex sets up.
  await portal.getByRole('heading', { name: 'Invited, not set up yet' }).waitFor();
  await portal.getByRole('cell', { name: 'Alex Tran <alex@bloggs.example>' }).waitFor();
  await portal.getByText(/^Invited: the link works until /).waitFor();
  // Jo also wants order mail at Jo's own address; the choice stays after a reload.
  await portal.getByRole('heading', { name: 'Mail you get' }).waitFor();
  await portal.getByLabel("Each step of the account's orders").check();
  await portal.getByRole('button', { name: 'Save mail choices' }).click();
  await portal.getByText('Your mail choices are saved.').waitFor();
  await check(portal, 'portal-account');
  await portal.reload();
  await portal.getByLabel("Each step of the account's orders").waitFor();
  assert.equal(await portal.getByLabel("Each step of the account's orders").isChecked(), true);
  assert.equal(await portal.getByLabel('Usage alerts reaching their limit').isChecked(), false);

  // A usage alert, and the whole portal in French once Jo chooses it.
  await portal.getByRole('navigation').getByRole('link', { name: 'Usage' }).click();
  await portal.getByRole('link', { name: 'Alerts' }).click();
  await portal.getByLabel('Alert me when this month').fill('50');
  await portal.getByRole('button', { name: 'Add the alert' }).click();
  await portal.getByText('Spend reaches $50.00').waitFor();
  // Use as well as spend: an alert on call minutes.
  await portal.getByLabel('Watch').selectOption('call');
  await portal.getByLabel('Alert me when this month’s calls reach (minutes)').fill('300');
  await portal.getByRole('button', { name: 'Add the alert' }).click();
  await portal.getByText('Calls reach 300 minutes').waitFor();
  await check(portal, 'portal-alerts');
  await portal.getByLabel('Language').selectOption('fr');
  await portal.getByRole('navigation').getByRole('link', { name: 'Commandes' }).click();
  await portal.getByRole('heading', { name: 'Vos commandes' }).waitFor();
  await portal.getByRole('heading', { name: 'Commander un nouveau service' }).waitFor();
  // What each order asks, in the login's language.
  await portal.getByText('Numéro +61 2 5550 7001 avec Business Voice').first().waitFor();
  await check(portal, 'portal-orders-fr');
  // A problem from the API in the login's language too.
  await portal.getByRole('navigation').getByRole('link', { name: 'Consommation' }).click();
  await portal.getByRole('link', { name: 'Alertes' }).click();
  await portal.getByLabel('M’alerter quand les dépenses du mois atteignent').fill('beaucoup');
  await portal.getByRole('button', { name: 'Ajouter l’alerte' }).click();
  await portal.getByRole('alert').getByText('Certains champs sont à corriger').waitFor();
  // The field's message stands beside the field; the box above links to it rather than repeating it.
  await portal.getByRole('alert').getByRole('link').first().click();
  assert.equal(await portal.evaluate(() => document.activeElement?.id), 'field-amount');
  // States in the login's language too: "active" is "Actif".
  await portal.getByRole('navigation').getByRole('link', { name: 'Services' }).click();
  await portal.getByRole('cell', { name: 'Actif' }).first().waitFor();
  assert.equal(await portal.getByRole('cell', { name: 'active', exact: true }).count(), 0);
  await portal.getByLabel('Langue').selectOption('en');
  await portal.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
  await portal.getByRole('heading', { name: 'Your orders' }).waitFor();
  await portal.close();
});

test("a port goes through the wholesaler's queue: details, halted, resubmitted, activated", async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('navigation').getByRole('link', { name: 'Numbers' }).click();
  await portal.getByRole('link', { name: 'Bring a number from another carrier' }).click();
  // Written as it is dialled in Australia, the provider's country.
  await portal.getByLabel('Number to bring').fill('02 5550 6000');
  await portal.getByLabel('Current carrier').fill('Telstra');
  await portal.getByLabel('Account number with that carrier').fill('123');
  await portal.getByLabel('Authorised by').fill('Jo Bloggs');
  await portal.getByRole('button', { name: 'Request the port' }).click();
  await portal.getByText('Order placed: Port +61 2 5550 6000 in from Telstra.').waitFor();

  const retailer = await console_();
  await retailer.getByRole('button', { name: 'Approve: Port +61 2 5550 6000 in from Telstra' }).click();
  await retailer.getByRole('button', { name: 'Approve: Port +61 2 5550 6000 in from Telstra' }).waitFor({ state: 'detached' });

  // Acme leaves ports to its wholesaler (demo settings): the wholesaler works it.
  const wholesaler = await console_('wholesale');
  await wholesaler.getByRole('navigation').getByRole('link', { name: 'Provisioning' }).click();
  await wholesaler.getByText('Port +61 2 5550 6000 in from Telstra').waitFor();
  await wholesaler.getByText('Provisioning details').click();
  await wholesaler.getByLabel('Stage').selectOption('confirmed');
  await wholesaler.getByLabel('Carrier reference').fill('TLS-4471');
  await wholesaler.getByRole('button', { name: 'Save' }).click();
  await wholesaler.getByRole('button', { name: 'Halt' }).click();
  await wholesaler.getByLabel('What the customer must change').fill('The Telstra account number does not match');
  await wholesaler.getByRole('button', { name: 'Halt provisioning' }).click();
  // Staff read the state in their own words; the queue names the retailer and the facts.
  await wholesaler.getByText('Halted: waiting for the customer').waitFor();
  await wholesaler.getByText('Acme Telecom', { exact: true }).waitFor();
  await wholesaler.getByText('Jo Bloggs', { exact: true }).waitFor();
  await wholesaler.getByRole('definition').filter({ hasText: /^123$/ }).waitFor();
  await check(wholesaler, 'console-wholesale-queue');

  await portal.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
  await portal.getByText('Reason: The Telstra account number does not match').waitFor();
  // Each order has its page: reference, facts, history; a halted one is sent again there.
  await portal.getByRole('link', { name: /^O-/ }).first().click();
  await portal.getByRole('heading', { name: /^Order O-/ }).waitFor();
  await portal.getByRole('list').getByText(/Set-up stopped/).waitFor();
  await check(portal, 'portal-order-halted');
  await portal.getByLabel('Account number with that carrier').fill('456');
  await portal.getByRole('button', { name: 'Send it again' }).click();
  await portal.getByRole('button', { name: 'Send it again' }).waitFor({ state: 'detached' });

  await wholesaler.reload();
  // The wholesaler sees the corrected account number.
  await wholesaler.getByRole('button', { name: 'Activate' }).waitFor();
  const queue = await (await fetch(`${base}/v1/console/provisioning`, {
    headers: { 'x-selfcare-tenant': 'wholesale', authorization: `Bearer ${await wholesaler.evaluate(() => sessionStorage.getItem('selfcare.console.token'))}` },
  })).json();
  assert.equal(queue.items[0].request.carrier_account, '456');
  await wholesaler.getByRole('button', { name: 'Activate' }).click();
  await wholesaler.getByText('Nothing is waiting to be provisioned.').waitFor();
  await portal.getByRole('navigation').getByRole('link', { name: 'Services' }).click();
  await portal.getByRole('link', { name: '+61 2 5550 6000' }).waitFor();
  await Promise.all([portal.close(), retailer.close(), wholesaler.close()]);
});

test('the console\'s staff, reports, failed mail and settings pages', async () => {
  const staff = await console_();
  // Today: what needs staff, counted from the same lists, each linking to its page.
  await staff.getByRole('navigation').getByRole('link', { name: 'Today' }).click();
  await staff.getByRole('heading', { name: 'Today', level: 1 }).waitFor();
  for (const tile of ['Orders waiting for approval', 'To provision', 'Locked-out logins', 'Mail that failed', 'Usage files with rejects or failed']) {
    await staff.getByRole('region', { name: tile }).locator('.sc-figure').waitFor();
  }
  assert.equal(await staff.getByRole('region', { name: 'Orders waiting for approval' }).locator('.sc-figure').textContent(), '0');
  await check(staff, 'console-dashboard');
  for (const [link, heading, shot] of [
    ['Staff', 'Staff', 'console-staff'],
    ['Reports', 'Locked Out Users', 'console-reports'],
    ['Failed mail', 'Failed mail', 'console-failed-mail'],
    ['Login and email settings', 'Login and email settings', 'console-access-settings'],
  ]) {
    await staff.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
    await staff.getByRole('heading', { name: heading, level: 1 }).waitFor();
    await staff.locator('.sc-loading').waitFor({ state: 'detached' });
    await check(staff, shot);
  }
  // A staff invitation from the page reaches the outbox.
  await staff.getByRole('navigation').getByRole('link', { name: 'Staff', exact: true }).click();
  await staff.getByLabel('Name', { exact: true }).fill('Ola Ops');
  await staff.getByLabel('Support email').fill('ola@acme.example');
  await staff.locator('form').getByLabel('Approve orders').check();
  await staff.getByRole('button', { name: 'Send the invitation' }).click();
  await staff.getByText('The invitation is on its way.').waitFor();
  await mail((m) => m.to.includes('ola@acme.example'));
  // Ola sets up her login from the mail; then she is limited to an account group.
  const invitation = await mail((m) => m.to.includes('ola@acme.example'));
  const text = (await (await fetch(`${base}/_local/outbox/${invitation.id}`)).text()).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const setUp = await context.newPage();
  // Staff set up their access on the console, not the customers' portal.
  await setUp.goto(text.match(/http:\/\/127\.0\.0\.1:\d+\/console\/credentials\/create\?tenant=acme#token=[A-Za-z0-9_-]+/)[0]);
  await setUp.getByLabel('Username', { exact: true }).fill('ola');
  await setUp.getByLabel('Password (12 characters or more)').fill('a long password for ola');
  await check(setUp, 'console-credentials-create');
  await setUp.getByRole('button', { name: 'Create my access' }).click();
  await setUp.getByText('Your access is ready').waitFor();
  await setUp.getByRole('button', { name: 'Sign in' }).click();
  await setUp.getByLabel('Username or email').fill('ola');
  await setUp.getByLabel('Password', { exact: true }).fill('a long password for ola');
  await setUp.getByRole('button', { name: 'Sign in' }).click();
  await setUp.getByRole('heading', { name: 'Pending orders' }).waitFor();
  await setUp.close();
  await staff.reload();
  const ola = staff.getByRole('row', { name: /ola@acme\.example/ });
  await ola.locator('summary').click();
  await ola.getByLabel('Account groups').fill('north');
  await ola.getByRole('button', { name: 'Save permissions' }).click();
  const token = await staff.evaluate(() => sessionStorage.getItem('selfcare.console.token'));
  let groups;
  for (let i = 0; i < 50 && !groups; i++) {
    const list = await (await fetch(`${base}/v1/console/staff`, { headers: { 'x-selfcare-tenant': 'acme', authorization: `Bearer ${token}` } })).json();
    groups = list.items.find((m) => m.username === 'ola').groups;
    if (!groups) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(groups, ['north']);

  // An account opened, then made inactive after confirming.
  await staff.getByRole('navigation').getByRole('link', { name: 'Accounts' }).click();
  await staff.getByLabel('Name', { exact: true }).fill('Tidal Cafe');
  await staff.getByLabel('Support email').fill('hello@tidal.example');
  await staff.getByRole('button', { name: 'Open the account' }).click();
  await staff.getByRole('heading', { name: /^Tidal Cafe \(/ }).waitFor();
  await staff.getByRole('button', { name: 'Change details' }).click();
  await staff.getByLabel('Name', { exact: true }).fill('Tidal Cafe and Bar');
  await staff.getByLabel('Account group').fill('north');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByRole('heading', { name: /^Tidal Cafe and Bar \(/ }).waitFor();
  await staff.getByText('north').waitFor();
  staff.once('dialog', (dialog) => dialog.accept());
  await staff.getByRole('button', { name: 'Make inactive' }).click();
  await staff.getByRole('button', { name: 'Make active again' }).waitFor();
  await check(staff, 'console-new-account');
  await staff.close();
});

test('the portal works from the keyboard alone', async () => {
  const page = await context.newPage();
  await page.goto(`${base}/?tenant=acme`);
  await page.getByLabel('Username or email').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-username');
  await page.keyboard.type(JO.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(JO.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  // The skip link takes focus past the menu to the page itself.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  // Every visible control shows where focus is.
  await page.getByRole('navigation').getByRole('link', { name: 'Services' }).focus();
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid');
  await page.close();
});

/// Presses Tab until focus is on the control called `name` (its label, its accessible
/// name or its text), as a keyboard user would; fails when Tab never gets there.
async function tabTo(page, name) {
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    const here = await page.evaluate(() => {
      const e = document.activeElement;
      return (e?.getAttribute('aria-label') || e?.labels?.[0]?.textContent || e?.textContent || '').trim();
    });
    if (typeof name === 'string' ? here === name : name.test(here)) return;
  }
  assert.fail(`Tab never reaches ${name}`);
}

/// Signs in with the keyboard alone: past the skip link, the username, the password, Enter.
async function keyboardSignIn(page, url, who) {
  await page.goto(url);
  await page.getByLabel('Username or email').waitFor();
  await tabTo(page, 'Username or email');
  await page.keyboard.type(who.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(who.password);
  await page.keyboard.press('Enter');
}

test('a customer sees where it is signed in and signs out everywhere else', async () => {
  const phone = await context.newPage();
  await signIn(phone, `${base}/?tenant=acme`, JO);
  await phone.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  const laptop = await context.newPage();
  await signIn(laptop, `${base}/?tenant=acme`, JO);
  await laptop.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  await laptop.getByRole('navigation').getByRole('link', { name: 'Sign-in security' }).click();
  await laptop.getByRole('heading', { name: 'Where you are signed in' }).waitFor();
  await laptop.getByText('this browser').waitFor();
  assert.equal(await laptop.getByText(/^Signed in /).count(), 2);
  await check(laptop, 'portal-sessions');
  await laptop.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await laptop.getByText('Signed out of 1 other sessions.').waitFor();
  // The list is read again: this browser's session is the one left.
  await laptop.getByText(/^Signed in /).nth(1).waitFor({ state: 'detached' });
  assert.equal(await laptop.getByText(/^Signed in /).count(), 1);
  // The phone's session is over: it asks to sign in again.
  await phone.reload();
  await phone.getByLabel('Username or email').waitFor();
  await Promise.all([phone.close(), laptop.close()]);
});

test('staff add a plan, a bolt-on and a service group from the console, and the trail says so', async () => {
  const staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Catalogue' }).click();
  await staff.getByRole('heading', { name: 'Plans' }).waitFor();
  await staff.getByRole('cell', { name: 'Business Voice' }).first().waitFor();
  await staff.getByLabel('Name').first().fill('Fibre 100');
  await staff.getByLabel('Service type').selectOption('broadband');
  await staff.locator('#field-plan-monthly').fill('79');
  await staff.getByRole('button', { name: 'Add the plan' }).click();
  await staff.getByRole('cell', { name: 'Fibre 100' }).first().waitFor();
  await staff.getByRole('cell', { name: '$79.00' }).waitFor();
  await staff.locator('#field-bolt-on-name').fill('Data 10 GB');
  await staff.locator('#field-bolt-on-price').fill('10');
  await staff.locator('#bolt-on-usage').selectOption('data');
  await staff.getByLabel('MB', { exact: true }).fill('10000');
  await staff.getByRole('checkbox', { name: 'Fibre 100' }).check();
  await staff.getByRole('button', { name: 'Add the bolt-on' }).click();
  await staff.getByRole('cell', { name: 'Data 10 GB' }).waitFor();
  await staff.getByRole('cell', { name: '10,000 MB' }).waitFor();
  await check(staff, 'console-catalogue');
  await staff.getByRole('navigation').getByRole('link', { name: 'Service groups' }).click();
  await staff.getByRole('heading', { name: 'Service groups', level: 1 }).waitFor();
  await staff.locator('#field-group-name').fill('North sites');
  await staff.locator('#field-group-kind').fill('site');
  await staff.getByRole('button', { name: 'Add the group' }).click();
  await staff.getByRole('button', { name: 'Services of North sites' }).click();
  await staff.getByText('No services in this group.').waitFor();
  await check(staff, 'console-service-groups');
  await staff.getByRole('navigation').getByRole('link', { name: 'Audit trail' }).click();
  await staff.getByRole('cell', { name: 'Plan added to the catalogue' }).waitFor();
  await staff.getByRole('cell', { name: 'Bolt-on added to the catalogue' }).waitFor();
  await staff.getByRole('cell', { name: 'Service group created' }).waitFor();
  await staff.close();
});

test('a list sorted by a heading sorts the whole list, not only the rows shown', async () => {
  const staff = await console_();
  const token = await staff.evaluate(() => sessionStorage.getItem('selfcare.console.token'));
  for (let i = 1; i <= 55; i++) {
    const made = await fetch(`${base}/v1/console/service-groups`, {
      method: 'POST',
      headers: { 'x-selfcare-tenant': 'acme', authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `zone-${String(i).padStart(2, '0')}`, kind: 'zone' }),
    });
    assert.ok(made.ok, await made.text());
  }
  await staff.getByRole('navigation').getByRole('link', { name: 'Service groups' }).click();
  // Fifty shown, more to fetch: zone-55 is not loaded yet.
  await staff.getByRole('button', { name: 'Show more' }).waitFor();
  assert.equal(await staff.getByRole('cell', { name: 'zone-55' }).count(), 0);
  const byName = staff.getByRole('button', { name: /^Name/ });
  await byName.click();
  await byName.click();
  await staff.getByRole('columnheader', { name: /^Name/ }).and(staff.locator('[aria-sort="descending"]')).waitFor();
  await staff.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
  assert.equal(await staff.locator('tbody tr').first().getByRole('cell').first().textContent(), 'zone-55');
  await staff.close();
});

test('ordering, approving and paying, each from the keyboard alone', async () => {
  const portal = await context.newPage();
  await keyboardSignIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  await tabTo(portal, 'Services');
  await portal.keyboard.press('Enter');
  await portal.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
  // Focus moved to the new page's heading: the next Tab starts from there.
  assert.equal(await portal.evaluate(() => document.activeElement?.tagName), 'H1');
  await portal.getByRole('link', { name: LANDLINE_SHOWN }).first().waitFor();
  await tabTo(portal, LANDLINE_SHOWN);
  await portal.keyboard.press('Enter');
  await portal.getByRole('heading', { name: LANDLINE_SHOWN }).waitFor();
  await portal.getByRole('button', { name: 'Add International 60 minutes' }).waitFor();
  await tabTo(portal, 'Add International 60 minutes');
  await portal.keyboard.press('Enter');
  await portal.getByText(`Order placed: Bolt-on International 60 minutes on ${LANDLINE_SHOWN}.`).waitFor();

  const staff = await context.newPage();
  await keyboardSignIn(staff, `${base}/console/?tenant=acme`, STAFF);
  await staff.getByRole('heading', { name: 'Pending orders' }).waitFor();
  await staff.getByRole('button', { name: `Approve: Bolt-on International 60 minutes on ${LANDLINE_SHOWN}` }).waitFor();
  await tabTo(staff, `Approve: Bolt-on International 60 minutes on ${LANDLINE_SHOWN}`);
  await staff.keyboard.press('Enter');
  await staff.getByText('No orders are waiting for approval.').waitFor();

  await tabTo(portal, 'Invoices');
  await portal.keyboard.press('Enter');
  await portal.getByRole('heading', { name: 'Invoices', level: 1 }).waitFor();
  // Tab goes through what is drawn: wait for the list, as a person would see it first.
  await portal.getByRole('link', { name: 'INV-000001' }).waitFor();
  await tabTo(portal, 'INV-000001');
  await portal.keyboard.press('Enter');
  await portal.getByRole('button', { name: 'Pay this invoice' }).waitFor();
  await tabTo(portal, 'Pay this invoice');
  await portal.keyboard.press('Enter');
  await portal.getByRole('heading', { name: /^Pay AUD / }).waitFor();
  await tabTo(portal, 'Card number');
  await portal.keyboard.type('4242 4242 4242 4242');
  await tabTo(portal, 'Expiry (MM/YY)');
  await portal.keyboard.type('12/34');
  await tabTo(portal, 'Security code');
  await portal.keyboard.type('123');
  await portal.keyboard.press('Enter');
  await portal.getByRole('heading', { name: 'Paid', level: 1 }).waitFor();
  await Promise.all([portal.close(), staff.close()]);
});

test("a provider's own site calls the API from the browser once listed; another site's page cannot", async () => {
  const port = new URL(base).port;
  // The provider's shop and a stranger's page, each served from this machine at an origin
  // of its own (a page the browser got from elsewhere may not reach this machine at all).
  const serve = async (html) => {
    const server = createHttpServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  };
  const page = () => `<!doctype html><html lang="en"><title>Shop</title><main><p id="out">waiting</p></main><script>
    (async () => {
      const api = 'http://acme.localhost:${port}';
      try {
        const signIn = await fetch(api + '/v1/auth/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'jo', password: '${JO.password}', session: 'bearer' }) });
        const { token } = await signIn.json();
        const me = await fetch(api + '/v1/portal/me', { headers: { authorization: 'Bearer ' + token } });
        document.getElementById('out').textContent = 'signed in as ' + (await me.json()).username;
      } catch (e) {
        document.getElementById('out').textContent = 'blocked';
      }
    })();
  </script></html>`;
  const servers = [await serve(page()), await serve(page())];
  // Closed however the test ends: an open server keeps the test run from finishing.
  after(() => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });
  const [shop, stranger] = servers.map((server) => `http://localhost:${server.address().port}`);

  // Not listed yet: the browser keeps the answer from the shop's page.
  const before = await context.newPage();
  await before.goto(`${shop}/`);
  await before.getByText('blocked').waitFor();
  await before.close();

  const staff = await console_();
  await staff.getByRole('link', { name: 'Branding' }).click();
  const origins = staff.getByLabel('Sites whose pages may call the API (https origins, one per line)');
  await origins.fill('http://shop.acme.example');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByRole('alert').getByText(/http only for localhost/).waitFor();
  await origins.fill(shop);
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText('Saved. Your portal shows it now.').waitFor();
  await check(staff, 'console-branding-api-origins');

  const listed = await context.newPage();
  await listed.goto(`${shop}/`);
  await listed.getByText('signed in as jo').waitFor();
  const other = await context.newPage();
  await other.goto(`${stranger}/`);
  await other.getByText('blocked').waitFor();
  await Promise.all([listed.close(), other.close(), staff.close()]);
});

test("a provider's brand colour, logo and contacts show on its portal; an unreadable colour is refused", async () => {
  const staff = await console_();
  await staff.getByRole('link', { name: 'Branding' }).click();
  await staff.getByLabel('Brand colour').fill('#ffcc00');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText(/contrast of 1\.51:1/).first().waitFor();
  await staff.getByLabel('Brand colour').fill('#5b2a86');
  await staff.getByLabel('Logo address').fill('https://cdn.acme.example/logo.png');
  await staff.getByLabel('Support email').fill('help@acme.example');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText('Saved. Your portal shows it now.').waitFor();
  await check(staff, 'console-branding');
  await staff.getByRole('link', { name: 'Order settings' }).click();
  await staff.getByLabel('Customers may order numbers').waitFor();
  // Which countries' numbers take an emergency address: a code that is no country is
  // refused beside its field; the demo's list saved again as it was.
  const countries = staff.getByLabel('Countries whose numbers take an emergency address');
  assert.equal(await countries.inputValue(), 'AU, CA, US');
  await countries.fill('AU, CA, XX');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.locator('#field-emergency_address_countries-error').getByText("a country's two capital letters, as in AU or GB").waitFor();
  await countries.fill('au, ca, us');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText('Saved. Your portal shows it now.').waitFor();
  await check(staff, 'console-order-settings');

  const portal = await context.newPage();
  await portal.goto(`${base}/?tenant=acme`);
  await portal.getByRole('link', { name: 'help@acme.example' }).waitFor();
  assert.equal(await portal.locator('.sc-logo').getAttribute('src'), 'https://cdn.acme.example/logo.png');
  const button = portal.getByRole('button', { name: 'Sign in' });
  await portal.waitForFunction(() => getComputedStyle(document.querySelector('.sc-button')).backgroundColor === 'rgb(91, 42, 134)');
  assert.equal(await button.evaluate((b) => getComputedStyle(b).color), 'rgb(255, 255, 255)');
  await check(portal, 'portal-branded-sign-in');
  await Promise.all([staff.close(), portal.close()]);
});

test("a stranger locks a login; its owner unlocks it from the lock notice and signs in", async () => {
  const SAM = { username: 'sam', password: 'portal-demo-2026' };
  // Four wrong guesses over the API, the fifth in the page.
  for (let i = 0; i < 4; i++) {
    const guess = await fetch(`${base}/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-selfcare-tenant': 'bluewave' },
      body: JSON.stringify({ username: SAM.username, password: `a stranger's guess ${i}`, session: 'bearer' }),
    });
    assert.equal(guess.status, 401);
  }
  const page = await context.newPage();
  await signIn(page, `${base}/?tenant=bluewave`, { username: SAM.username, password: 'one more guess' });
  await page.getByText('This login is locked after too many failed sign-ins').waitFor();
  await check(page, 'portal-sign-in-locked');

  const notice = await mail((m) => m.to.includes('sam.lee@example.org') && m.subject.includes('locked'));
  const raw = (await (await fetch(`${base}/_local/outbox/${notice.id}`)).text()).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link = raw.match(/http:\/\/127\.0\.0\.1:\d+\/credentials\/unlock\?tenant=bluewave#token=[A-Za-z0-9_-]+/);
  assert.ok(link, 'the notice carries the unlock link');
  await page.goto(link[0]);
  await page.getByText('Your login sam was locked after too many failed sign-ins.').waitFor();
  await check(page, 'portal-unlock');
  await page.getByRole('button', { name: 'Unlock my login' }).click();
  await page.getByText('Your login is unlocked.').waitFor();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signIn(page, `${base}/?tenant=bluewave`, SAM);
  await page.getByRole('heading', { name: 'Welcome, Sam Lee' }).waitFor();

  // The link worked once.
  const again = await context.newPage();
  await again.goto(link[0]);
  await again.getByText('This link has been used or has expired.').waitFor();
  await Promise.all([page.close(), again.close()]);
});

test("staff set the provider's time zone; a name that is not one is refused in the form", async () => {
  const staff = await console_('bluewave');
  await staff.getByRole('navigation').getByRole('link', { name: 'Login and email settings', exact: true }).click();
  const zone = staff.getByLabel('Time zone');
  await zone.waitFor();
  assert.equal(await zone.inputValue(), 'Australia/Melbourne');
  await zone.fill('Melbourne');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.locator('#field-time_zone-error').getByText('"Melbourne" is not a time zone: did you mean Australia/Melbourne?').waitFor();
  await check(staff, 'console-access-settings-time-zone-refused');
  await zone.fill('Australia/Perth');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByRole('status').getByText('Saved.', { exact: false }).waitFor();
  const branding = await (await fetch(`${base}/v1/branding`, { headers: { 'x-selfcare-tenant': 'bluewave' } })).json();
  assert.equal(branding.time_zone, 'Australia/Perth');
  await staff.close();
});

test('staff define an account attribute; a new account carries its default, shown and edited on its page', async () => {
  const staff = await console_('bluewave');
  await staff.getByRole('navigation').getByRole('link', { name: 'Account attributes' }).click();
  await staff.getByText('Accounts carry no extra attributes yet.').waitFor();
  await check(staff, 'console-account-attributes-empty');
  await staff.getByRole('button', { name: 'Add an attribute' }).click();
  await staff.getByLabel('Name (letters, digits, - and _)').fill('sales region');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.locator('#field-attribute-0-name-error').waitFor();
  await staff.getByLabel('Name (letters, digits, - and _)').fill('region');
  await staff.getByLabel('Default for new accounts').fill('north');
  await staff.getByLabel('Every account must have it').check();
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText('Saved. New and changed accounts follow these.').waitFor();
  await check(staff, 'console-account-attributes');

  await staff.getByRole('navigation').getByRole('link', { name: 'Accounts' }).click();
  await staff.getByLabel('Name', { exact: true }).fill('Reef Bakery');
  await staff.getByLabel('Support email').fill('hello@reef.example');
  await staff.getByRole('button', { name: 'Open the account' }).click();
  await staff.getByRole('heading', { name: /^Reef Bakery \(/ }).waitFor();
  await staff.locator('dt', { hasText: 'region' }).waitFor();
  await staff.locator('dd', { hasText: 'north' }).waitFor();
  await staff.getByRole('button', { name: 'Change details' }).click();
  await staff.getByLabel('region (required)', { exact: true }).fill('south');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.locator('dd', { hasText: 'south' }).waitFor();
  await staff.close();
});

test("a wholesaler's console lists the retailers that buy through it; a retailer's has no such page", async () => {
  const wholesaler = await console_('wholesale');
  await wholesaler.getByRole('navigation').getByRole('link', { name: 'Retailers' }).click();
  await wholesaler.getByRole('heading', { name: 'Retailers', level: 1 }).waitFor();
  await wholesaler.getByRole('cell', { name: 'Acme Telecom' }).waitFor();
  assert.equal(await wholesaler.getByRole('cell', { name: 'Bluewave Internet' }).count(), 0, 'Bluewave buys through nobody');
  await check(wholesaler, 'console-retailers');
  const retailer = await console_('acme');
  assert.equal(await retailer.getByRole('navigation').getByRole('link', { name: 'Retailers' }).count(), 0);
  await Promise.all([wholesaler.close(), retailer.close()]);
});

test('a usage file whose load stopped is shown stopped after 20 minutes, and staff load it again', async () => {
  // Four chunks of 5,000 rows: the runtime is stopped once the first is in.
  const rows = 20_000;
  await killRuntime();
  await startRuntime(['--usage-chunk-rows', '5000']);
  const at = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const lines = ['record_id,service,type,started_at,destination,quantity'];
  for (let i = 0; i < rows; i++) lines.push(`big-${i},${LANDLINE},call,${at},61299990000,30`);
  let staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Usage files' }).click();
  await staff.getByRole('heading', { name: 'Usage files', level: 1 }).waitFor();
  await staff.getByLabel('File', { exact: true }).setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n') + '\r\n') });
  await staff.getByRole('button', { name: 'Send the file' }).click();
  await staff.getByText('The file is loaded as soon as it is stored').waitFor();
  // The machine stops once the first rows are in, and the load with it.
  const load = () =>
    staff.evaluate(async () => {
      const headers = { 'x-selfcare-tenant': 'acme', authorization: `Bearer ${sessionStorage.getItem('selfcare.console.token')}` };
      const answer = await fetch('/v1/console/usage/ingests?limit=5', { headers });
      return (await answer.json()).items.filter((f) => f.file.endsWith('/big.csv'));
    });
  let part = [];
  for (let i = 0; i < 600 && !(part.length && part[0].rows_read > 0); i++) {
    part = await load();
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(part[0]?.status, 'running', 'stopped part way');
  await killRuntime();
  await staff.close();

  // Back half an hour later: the load has not moved for 20 minutes.
  await startRuntime(['--clock-ahead-minutes', '30', '--usage-chunk-rows', '5000']);
  staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Usage files' }).click();
  const stopped = staff.getByRole('row', { name: /big\.csv/ });
  await stopped.getByText(/Stopped: Loading stopped after [\d,]+ rows/).waitFor();
  await check(staff, 'console-usage-file-stopped');
  await stopped.getByRole('button', { name: 'Retry loading big.csv' }).click();
  await staff.getByText('(retried: see the newer load above)').waitFor();
  assert.equal(await staff.getByRole('button', { name: 'Retry loading big.csv' }).count(), 0, 'retried once');
  // The file loads whole as a new load: every row counted once.
  const whole = staff.getByRole('row', { name: new RegExp(`big\\.csv.*Loaded.*${rows} / ${rows}`) });
  for (let i = 0; i < 300 && (await whole.count()) === 0; i++) {
    await staff.getByRole('button', { name: 'Refresh' }).click();
    await new Promise((r) => setTimeout(r, 300));
  }
  await whole.waitFor();
});

test('staff load a usage file from the console and download its rejects; the same name again is a corrected file', async () => {
  const staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Usage files' }).click();
  await staff.getByRole('heading', { name: 'Usage files', level: 1 }).waitFor();
  const now = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const csv = `record_id,service,type,started_at,destination,quantity\r\nweb-1,${LANDLINE},call,${now},61299990000,30\r\nweb-2,${LANDLINE},fax,${now},61299990000,30\r\n`;
  await staff.getByLabel('File', { exact: true }).setInputFiles({ name: 'web-test.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await staff.getByRole('button', { name: 'Send the file' }).click();
  await staff.getByText('The file is loaded as soon as it is stored').waitFor();
  const row = staff.getByRole('row', { name: /web-test\.csv/ });
  for (let i = 0; i < 50 && (await row.count()) === 0; i++) {
    await staff.getByRole('button', { name: 'Refresh' }).click();
    await new Promise((r) => setTimeout(r, 200));
  }
  await row.getByText('1 / 2').waitFor();
  const rejects = await row.getByRole('link', { name: '1 (download the reasons)' }).getAttribute('href');
  const text = await (await fetch(rejects)).text();
  assert.match(text, /^line,reason\r\n3,"type: call, message or data"\r\n$/);
  await check(staff, 'console-usage-files');

  // The same name again: the page says what happens to a corrected file.
  await staff.getByLabel('File', { exact: true }).setInputFiles({ name: 'web-test.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await staff.getByRole('button', { name: 'Send the file' }).click();
  await staff.getByText('A file of this name was loaded before.').waitFor();
  await staff.close();
});

test("a customer reads its invoice and its transactions; staff preview, record a payment and change the billing settings", async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
  await portal.getByRole('heading', { name: 'Invoices', level: 1 }).waitFor();
  await portal.getByRole('link', { name: 'INV-000001' }).waitFor();
  await check(portal, 'portal-invoices');
  await portal.getByRole('link', { name: 'INV-000001' }).click();
  await portal.getByRole('heading', { name: /^Invoice INV-000001/ }).waitFor();
  await portal.getByRole('heading', { name: LANDLINE_SHOWN }).waitFor();
  await portal.getByText('Business Voice').first().waitFor();
  await check(portal, 'portal-invoice');
  const [pdf] = await Promise.all([portal.waitForEvent('download'), portal.getByRole('button', { name: 'Download the PDF' }).click()]);
  assert.equal(pdf.suggestedFilename(), 'invoice-INV-000001.pdf');
  const bytes = await (await import('node:fs/promises')).readFile(await pdf.path());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  assert.ok(bytes.includes('(Tax invoice INV-000001)'), 'the PDF holds the invoice number');
  // The demo's first invoice bills this month ahead; its usage is on the next one.
  assert.equal(await portal.getByRole('button', { name: 'Download the calls and data (CSV)' }).count(), 0);
  await portal.getByRole('link', { name: 'All invoices' }).click();
  // The reports the provider granted: of the invoice, on screen and as CSV.
  await portal.getByRole('navigation').getByRole('link', { name: 'Reports' }).click();
  await portal.getByRole('heading', { name: 'Spend by cost centre: invoice INV-000001' }).waitFor();
  await portal.getByRole('cell', { name: 'No cost centre' }).waitFor();
  await check(portal, 'portal-reports');
  await portal.getByLabel('Report', { exact: true }).selectOption('spend-by-service');
  await portal.getByRole('heading', { name: 'Spend by service: invoice INV-000001' }).waitFor();
  const [byService] = await Promise.all([portal.waitForEvent('download'), portal.getByRole('button', { name: 'Download CSV' }).click()]);
  assert.equal(byService.suggestedFilename(), 'spend-by-service-INV-000001.csv');
  const serviceRows = (await (await import('node:fs/promises')).readFile(await byService.path(), 'utf8')).trim().split(/\r?\n/);
  assert.equal(serviceRows[0], 'label,quantity,period_start,period_end,currency,net,tax,gross');
  assert.ok(serviceRows.length >= 2, 'a row per service');
  await portal.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
  await portal.getByRole('link', { name: 'Transactions' }).click();
  await portal.getByRole('cell', { name: 'INV-000001' }).waitFor();
  await portal.getByText(/^Balance owed: /).waitFor();
  await check(portal, 'portal-ledger');
  const [statement] = await Promise.all([portal.waitForEvent('download'), portal.getByRole('button', { name: 'Download CSV' }).click()]);
  const rows = (await (await import('node:fs/promises')).readFile(await statement.path(), 'utf8')).split(/\r?\n/);
  assert.equal(rows[0], 'date,transaction,reference,description,amount,balance');
  assert.match(rows[1], /^\d{4}-\d{2}-\d{2},invoice,INV-000001,/);

  const staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Accounts' }).click();
  await staff.getByRole('link', { name: 'Jo Bloggs' }).click();
  await staff.getByRole('heading', { name: 'Invoices', level: 2 }).waitFor();
  // The reports the account was granted, ticked on its billing settings.
  assert.ok(await staff.getByLabel('Spend by service').isChecked(), 'granted in the demo');
  // Billing mail goes to the account's addresses until staff choose logins for it.
  const contacts = staff.getByRole('group', { name: 'Billing mail goes to' });
  await contacts.waitFor();
  assert.equal(await contacts.getByRole('checkbox', { checked: true }).count(), 0);
  await staff.getByLabel('Its own bill day (1 to 28)').fill('31');
  await staff.getByRole('button', { name: "Update this account's billing" }).click();
  await staff.locator('#field-own-bill-day-error').waitFor();
  await staff.getByLabel('Its own bill day (1 to 28)').fill('');
  await staff.getByRole('button', { name: "Update this account's billing" }).click();
  await staff.getByText('Saved. The next invoice follows it.').waitFor();
  await staff.getByRole('button', { name: 'Preview the next invoice' }).click();
  // This period is invoiced: the preview is the next period's invoice.
  await staff.getByRole('heading', { name: /^The next invoice, .* if issued now$/ }).waitFor();
  await staff.getByRole('cell', { name: `${LANDLINE} · Business Voice` }).waitFor();
  await staff.getByLabel('Amount', { exact: true }).fill('10.00');
  await staff.getByLabel('Received on').fill('2026-12-01');
  await staff.getByLabel('Bank or cheque reference').fill('WEB-PAYMENT-1');
  await staff.getByRole('button', { name: 'Record the payment' }).click();
  await staff.getByText('Payment of $10.00 recorded.').waitFor();
  await staff.getByRole('cell', { name: 'WEB-PAYMENT-1' }).waitFor();
  await check(staff, 'console-account-billing');
  // A one-off credit waits for the next invoice; the issued invoice is corrected by a credit note.
  await staff.getByLabel('Shown on the invoice as').fill('Goodwill credit');
  await staff.getByLabel('Amount of the charge or credit').fill('5');
  await staff.getByLabel('This is a credit').check();
  await staff.getByLabel('Why').fill('Outage on 3 December');
  await staff.getByRole('button', { name: 'Add to the next invoice' }).click();
  await staff.getByRole('button', { name: 'Remove Goodwill credit' }).waitFor();
  await staff.getByRole('link', { name: 'INV-000001' }).click();
  await staff.getByRole('heading', { name: /^Invoice INV-000001/ }).waitFor();
  await staff.getByLabel('Amount', { exact: true }).fill('5.00');
  await staff.getByLabel('Why').fill('Charged from the 1st, active from the 2nd');
  await staff.getByRole('button', { name: 'Issue the credit note' }).click();
  await staff.getByText('Credit note CN-000001 issued: $5.00.').waitFor();
  await staff.getByRole('cell', { name: 'CN-000001' }).waitFor();
  await check(staff, 'console-invoice');
  // The credit note is a document of its own, stored beside the invoice.
  const [note] = await Promise.all([staff.waitForEvent('download'), staff.getByRole('button', { name: 'Download credit note CN-000001' }).click()]);
  assert.equal(note.suggestedFilename(), 'credit-note-CN-000001.pdf');
  const noteText = await (await import('node:fs/promises')).readFile(await note.path(), 'latin1');
  assert.ok(noteText.includes('(Credit note CN-000001)') && noteText.includes('(INV-000001)'), 'the credit note names itself and its invoice');
  // Reconciliation: the payment moved, partly, to credit; what the invoice owes written off.
  await staff.getByRole('link', { name: 'Back' }).click();
  await staff.getByRole('link', { name: 'Reconcile payments and invoices' }).click();
  await staff.getByRole('heading', { name: 'Reconciliation', level: 1 }).waitFor();
  await staff.getByRole('button', { name: 'Reallocate WEB-PAYMENT-1' }).click();
  await staff.getByLabel('Amount for INV-000001').fill('4.00');
  await staff.getByRole('button', { name: 'Save the allocation' }).click();
  await staff.getByText('Saved: WEB-PAYMENT-1 now settles what it shows.').waitFor();
  await staff.getByRole('cell', { name: 'INV-000001: $4.00' }).waitFor();
  await check(staff, 'console-reconciliation');
  await staff.getByRole('button', { name: 'Write off INV-000001' }).click();
  await staff.getByLabel('Why it will not be collected').fill('Customer disputes the first month');
  await staff.getByRole('button', { name: 'Write it off' }).click();
  await staff.getByText(/^INV-000001: \$[\d.]+ written off\.$/).waitFor();
  await staff.getByRole('cell', { name: 'Written off', exact: true }).waitFor();
  await staff.getByRole('navigation').getByRole('link', { name: 'Billing settings' }).click();
  await staff.getByLabel('Tax rate (%)').fill('15');
  await staff.getByLabel('Reminder days after the due date').fill('5, 20');
  await staff.getByLabel('Paper of the PDFs').selectOption('letter');
  await staff.getByLabel('Keep invoice files for').selectOption('10');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText('Saved. The next invoices follow these settings.').waitFor();
  await check(staff, 'console-billing-settings');
  await staff.getByRole('navigation').getByRole('link', { name: 'Bill runs' }).click();
  await staff.getByRole('button', { name: "Run today's bill run now" }).click();
  await staff.getByText(/^Ran: \d+ invoices issued\.$/).waitFor();
  await staff.getByRole('cell', { name: /^Finished/ }).first().waitFor();
  await check(staff, 'console-bill-runs');
  await staff.getByRole('navigation').getByRole('link', { name: 'Billing reports' }).click();
  // Jo's invoice was written off: Jo owes nothing late or due.
  const aged = staff.getByRole('region', { name: 'Aged balances' });
  await aged.getByRole('table').or(aged.getByText('No account owes anything.')).waitFor();
  assert.equal(await staff.getByRole('link', { name: 'Jo Bloggs (100001)' }).count(), 0);
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await staff.getByLabel('From').fill(day(-20));
  await staff.getByLabel('To').fill(day(20));
  await staff.getByRole('button', { name: 'Show' }).click();
  const issuedInPeriod = staff.getByRole('region', { name: 'Invoices and credit notes of a period' });
  await issuedInPeriod.getByRole('cell', { name: 'INV-000001', exact: true }).waitFor();
  await issuedInPeriod.getByRole('cell', { name: 'CN-000001', exact: true }).waitFor();
  // The payments of the period, against the invoices they settled.
  const payments = staff.getByRole('region', { name: 'Payments by invoice' });
  await payments.getByRole('cell', { name: 'WEB-PAYMENT-1' }).first().waitFor();
  await check(staff, 'console-billing-reports');
  await Promise.all([portal.close(), staff.close()]);
});


test('a customer pays an invoice with the test gateway\'s card; a declined card shows the bank\'s reason', async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
  await portal.getByRole('link', { name: 'INV-000001' }).click();
  await portal.getByRole('button', { name: 'Pay this invoice' }).click();
  // The gateway's own page: the card number never reaches selfcare's site.
  await portal.getByRole('heading', { name: /^Pay AUD / }).waitFor();
  await portal.getByLabel('Card number').fill('4242 4242 4242 4242');
  await portal.getByLabel('Expiry (MM/YY)').fill('12/34');
  await portal.getByLabel('Security code').fill('123');
  await portal.getByRole('button', { name: /^Pay AUD / }).click();
  await portal.getByRole('heading', { name: 'Paid', level: 1 }).waitFor();
  await portal.getByText(/^Thank you: your payment of .+ was received\.$/).waitFor();
  await portal.getByText('Visa ending 4242, expires 12/2034').waitFor();
  await check(portal, 'portal-payment-paid');
  // The receipt, by mail.
  await mail((m) => m.subject.startsWith('Receipt for your payment of'));
  // The invoice is paid; the ledger has the card payment.
  await portal.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
  await portal.getByRole('link', { name: 'Transactions' }).click();
  await portal.getByRole('heading', { name: 'Transactions', level: 1 }).waitFor();
  // An amount ahead with a card the bank declines.
  await portal.getByRole('navigation').getByRole('link', { name: 'Payments' }).click();
  await portal.getByRole('heading', { name: 'Payments', level: 1 }).waitFor();
  await check(portal, 'portal-payments');
  await portal.getByLabel('Amount').fill('10');
  await portal.getByRole('button', { name: 'Pay by card' }).click();
  await portal.getByLabel('Card number').fill('4000 0000 0000 0002');
  await portal.getByLabel('Expiry (MM/YY)').fill('12/34');
  await portal.getByLabel('Security code').fill('123');
  await portal.getByRole('button', { name: /^Pay AUD 10\.00$/ }).click();
  await portal.getByRole('heading', { name: 'Failed', level: 1 }).waitFor();
  await portal.getByRole('alert').getByText('Your bank declined the card. Try another card or ask your bank why.').waitFor();
});

/// Types a card into the local test gateway's page and submits it.
async function gatewayCard(page, number, button) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry (MM/YY)').fill('12/34');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: button }).click();
}

test("staff run card payments from the console: the gateway, settings, a refund, the card reports", async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('navigation').getByRole('link', { name: 'Invoices' }).click();
  await portal.getByRole('link', { name: 'INV-000001' }).click();
  await portal.getByRole('button', { name: 'Pay this invoice' }).click();
  await portal.getByRole('heading', { name: /^Pay AUD / }).waitFor();
  await gatewayCard(portal, '4242 4242 4242 4242', /^Pay AUD /);
  await portal.getByRole('heading', { name: 'Paid', level: 1 }).waitFor();

  const staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Card payments' }).click();
  await staff.getByText('Connected to the test gateway: customers can pay by card.').waitFor();
  await staff.getByText(/\/v1\/webhooks\/stripe\/acme$/).waitFor();
  // A retry schedule that is not ascending is refused in the form; a good one is kept.
  await staff.getByLabel('Try a failed autopay again after (days)').fill('3, 1');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.locator('#field-retry-days-error').waitFor();
  await staff.getByLabel('Try a failed autopay again after (days)').fill('1, 3, 5');
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByText('Saved.').waitFor();
  await staff.getByRole('button', { name: 'Check now' }).click();
  await staff.getByText('The gateway and the ledger agree.').waitFor();
  await check(staff, 'console-payment-settings');

  // A part of Jo's payment back to the card.
  await staff.getByRole('navigation').getByRole('link', { name: 'Accounts' }).click();
  await staff.getByRole('link', { name: 'Jo Bloggs' }).click();
  const payments = staff.getByRole('region', { name: 'Card payments' });
  await payments.getByRole('cell', { name: 'Visa ···· 4242' }).waitFor();
  await payments.getByRole('button', { name: 'Refund' }).click();
  await payments.getByLabel('Amount to refund').fill('5');
  await check(staff, 'console-account-card-payments');
  await payments.getByRole('button', { name: 'Refund to the card' }).click();
  await staff.getByText('Refunded: $5.00 in all on this payment.').waitFor();
  await payments.getByText(/Refunded \$5\.00/).waitFor();

  // Cardlines by invoice, with the gateway's fee once the check read it; takings by day.
  await staff.getByRole('navigation').getByRole('link', { name: 'Card reports' }).click();
  await staff.getByRole('button', { name: 'Show' }).click();
  const lines = staff.getByRole('region', { name: 'Card lines by invoice' });
  await lines.getByRole('cell', { name: 'INV-000001' }).waitFor();
  await lines.getByRole('cell', { name: 'Visa ···· 4242' }).waitFor();
  assert.equal(await lines.getByRole('cell', { name: 'not known yet' }).count(), 0, 'the fee is known');
  await staff.getByRole('region', { name: 'Card payments by day' }).getByRole('cell', { name: '$5.00' }).waitFor();
  await staff.getByText('No failed card payment in this period.').waitFor();
  await check(staff, 'console-card-reports');
  const [csv] = await Promise.all([staff.waitForEvent('download'), lines.getByRole('button', { name: 'Download' }).click()]);
  const rows = (await (await import('node:fs/promises')).readFile(await csv.path(), 'utf8')).trim().split(/\r?\n/);
  assert.match(rows[0], /^day,payment,account_number,account_name,invoice,brand,last4/);
  assert.match(rows[1], /,INV-000001,visa,4242,AUD,/);

  // A Stripe provider's card page: out of this tab's storage it says so; when Stripe's
  // script cannot be had (here blocked, as a privacy extension would) the page says so
  // inside the frame.
  await portal.goto(`${base}/pay/01JNOSUCHCHECKOUT?tenant=acme`);
  await portal.getByRole('alert').getByText(/^This card page has expired/).waitFor();
  // No menu on the card pages (their wider policy must not follow the customer); the way
  // back is a full page load.
  assert.equal(await portal.getByRole('navigation').getByRole('link', { name: 'Payments' }).count(), 0);
  await portal.getByRole('main').getByRole('link', { name: 'Payments' }).waitFor();
  await context.route('https://js.stripe.com/**', (route) => route.abort());
  await portal.evaluate(() =>
    sessionStorage.setItem(
      'selfcare.checkout.card-test',
      JSON.stringify({ kind: 'setup', publishable_key: 'pk_test_x', client_secret: 'seti_x_secret_y', return_url: `${location.origin}/payments/cards` }),
    ),
  );
  await portal.goto(`${base}/pay/card-test?tenant=acme`);
  await portal.getByRole('alert').getByText(/^The card form could not be loaded from the payment provider/).waitFor();
  await check(portal, 'portal-stripe-card-page-unavailable');

  // Only the card pages may load Stripe's script and frames.
  const policy = async (path) => (await fetch(`${base}${path}?tenant=acme`)).headers.get('content-security-policy');
  assert.match(await policy('/pay/01JCARDPAGE'), /script-src 'self' https:\/\/js\.stripe\.com;.*frame-src https:\/\/js\.stripe\.com https:\/\/hooks\.stripe\.com/);
  for (const path of ['/payments', '/invoices', '/console/settings/payments']) {
    assert.doesNotMatch(await policy(path), /stripe/, path);
  }
  await Promise.all([portal.close(), staff.close()]);
});

test("a failed autopay's mail signs its billing contact in once, to pay with another card", async () => {
  // Harbour Dental gets its portal access.
  const staff = await console_();
  await staff.getByRole('link', { name: 'Accounts' }).click();
  await staff.getByRole('link', { name: 'Harbour Dental Pty Ltd' }).click();
  await staff.getByRole('button', { name: 'Send the set-up email' }).click();
  const setUp = await mail((m) => m.to.includes('accounts@harbourdental.example') && m.subject.includes('Set up'));
  const raw = (await (await fetch(`${base}/_local/outbox/${setUp.id}`)).text()).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const portal = await context.newPage();
  await portal.goto(raw.match(/http:\/\/127\.0\.0\.1:\d+\/credentials\/create\?tenant=acme#token=[A-Za-z0-9_-]+/)[0]);
  await portal.getByLabel('Username', { exact: true }).fill('harbour');
  await portal.getByLabel('Password (12 characters or more)').fill('a long harbour password');
  await portal.getByRole('button', { name: 'Create my access' }).click();
  await portal.getByRole('button', { name: 'Sign in' }).click();
  await portal.getByLabel('Username or email').fill('harbour');
  await portal.getByLabel('Password', { exact: true }).fill('a long harbour password');
  await portal.getByRole('button', { name: 'Sign in' }).click();
  // A card the bank will decline when charged, kept for autopay.
  await portal.getByRole('navigation').getByRole('link', { name: 'Payments' }).click();
  await portal.getByRole('button', { name: 'Add a card' }).click();
  await gatewayCard(portal, '4000 0000 0000 0341', 'Save a card');
  await portal.getByText('Visa ending 0341, expires 12/2034').waitFor();
  await portal.getByLabel('Pay each invoice automatically with the default card').click();
  await portal.getByRole('checkbox', { name: 'Pay each invoice automatically with the default card', checked: true }).waitFor();
  await portal.getByRole('button', { name: 'Sign out' }).click();

  // Staff make the login its billing contact, add a charge and bill now: autopay fails.
  await staff.reload();
  const contacts = staff.getByRole('group', { name: 'Billing mail goes to' });
  await contacts.getByRole('checkbox').check();
  await staff.getByRole('button', { name: "Update this account's billing" }).click();
  await staff.getByText('Saved. The next invoice follows it.').waitFor();
  await staff.getByLabel('Shown on the invoice as').fill('Set-up fee');
  await staff.getByLabel('Amount of the charge or credit').fill('49.00');
  await staff.locator('#field-charge-reason').fill('New practice');
  await staff.getByRole('button', { name: 'Add to the next invoice' }).click();
  await staff.getByRole('button', { name: 'Bill now' }).click();
  await staff.getByText(/^Invoice INV-\d+ for this period: \$49\.00\.$/).waitFor();
  const failed = await mail((m) => m.to.includes('accounts@harbourdental.example') && m.subject === 'Your payment of AUD 49.00 did not go through');
  const text = (await (await fetch(`${base}/_local/outbox/${failed.id}`)).text()).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link = text.match(/http:\/\/127\.0\.0\.1:\d+\/credentials\/card\?tenant=acme#token=[A-Za-z0-9_-]+/);
  assert.ok(link, 'the mail carries a sign-in link to the card page');

  // Staff see the failure and its next try.
  await staff.reload();
  const payments = staff.getByRole('region', { name: 'Card payments' });
  await payments.getByText('Failed · autopay').waitFor();
  await payments.getByRole('button', { name: 'Try again now' }).waitFor();

  // The link: one button (a mail scanner that follows it spends nothing), then the card page.
  const fix = await context.newPage();
  await fix.goto(link[0]);
  await fix.getByRole('heading', { name: 'Update your card' }).waitFor();
  await fix.getByText('Continue as harbour to pay now or change your card.', { exact: false }).waitFor();
  await check(fix, 'portal-card-link');
  await fix.getByRole('button', { name: 'Continue to my card' }).click();
  await fix.getByRole('heading', { name: 'Payments', level: 1 }).waitFor();
  await fix.getByRole('listitem').filter({ hasText: 'Visa ending 0341, expires 12/2034' }).waitFor();
  // The autopay that failed, with its card and the bank's reason.
  await fix.getByRole('cell', { name: 'Visa ending 0341, expires 12/2034' }).waitFor();
  await fix.getByText(/Your bank declined the card/).first().waitFor();
  // The customer puts a good card first; staff try the payment again: paid.
  await fix.getByRole('button', { name: 'Add a card' }).click();
  await gatewayCard(fix, '4242 4242 4242 4242', 'Save a card');
  const good = fix.getByRole('listitem').filter({ hasText: 'Visa ending 4242, expires 12/2034' });
  await good.getByRole('button', { name: 'Make default' }).click();
  await good.getByText('Default').waitFor();
  await payments.getByRole('button', { name: 'Try again now' }).click();
  await staff.getByText('Tried again: Paid.').waitFor();
  await mail((m) => m.to.includes('accounts@harbourdental.example') && m.subject.startsWith('Receipt for your payment of AUD 49.00'));
  // Once only.
  const again = await context.newPage();
  await again.goto(link[0]);
  await again.getByText('This link has been used or has expired.').waitFor();
  await Promise.all([staff.close(), portal.close(), fix.close(), again.close()]);
});

test('a path that is no page says so inside the frame on both sites', async () => {
  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();
  for (const path of ['/account/logins', '/usage/', '/no-such-page']) {
    await portal.goto(`${base}${path}?tenant=acme`);
    await portal.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
    // The frame stays: the menu and sign-out.
    await portal.getByRole('navigation').getByRole('link', { name: 'Services' }).waitFor();
    await portal.getByRole('button', { name: 'Sign out' }).waitFor();
  }
  await check(portal, 'portal-not-found');
  await portal.getByRole('link', { name: 'Go to the first page' }).click();
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();

  const staff = await console_();
  await staff.goto(`${base}/console/no-such-page?tenant=acme`);
  await staff.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
  await staff.getByRole('navigation').getByRole('link', { name: 'Accounts' }).waitFor();
  await check(staff, 'console-not-found');
  // The API's unknown paths stay problems.
  const api = await fetch(`${base}/v1/no-such-route`);
  assert.equal(api.status, 404);
  assert.equal(api.headers.get('content-type'), 'application/problem+json');
  await Promise.all([portal.close(), staff.close()]);
});

/// What an authenticator app shows now for a base-32 key (RFC 6238: 30 s, 6 digits).
function totp(key) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...key.replace(/=+$/, '').toUpperCase()].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const secret = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

test('a provider requires two-factor sign-in: a customer sets it up, keeps the recovery codes, and changes the password', async () => {
  const staff = await console_();
  await staff.getByRole('navigation').getByRole('link', { name: 'Login and email settings', exact: true }).click();
  await staff.getByLabel('Customers must use two-factor sign-in').check();
  await staff.getByRole('button', { name: 'Save' }).click();
  await staff.getByRole('status').getByText('Saved.', { exact: false }).waitFor();

  const portal = await context.newPage();
  await signIn(portal, `${base}/?tenant=acme`, JO);
  // The set-up page, inside the frame: no raw API text.
  await portal.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
  await portal.getByText('Your provider requires two-factor sign-in: set it up to go on.').waitFor();
  assert.equal(await portal.getByText('POST /v1/auth').count(), 0);
  await portal.getByRole('button', { name: 'Set it up' }).click();
  await portal.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  await check(portal, 'portal-two-factor-setup');
  const key = await portal.locator('code').first().textContent();
  await portal.getByLabel('Code from your authenticator app').fill(totp(key));
  await portal.getByRole('button', { name: 'Confirm' }).click();
  await portal.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  assert.ok((await portal.locator('.sc-codes li').count()) >= 8, 'recovery codes shown');
  const [codes] = await Promise.all([portal.waitForEvent('download'), portal.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(codes.suggestedFilename(), 'recovery-codes.txt');
  await check(portal, 'portal-recovery-codes');
  await portal.getByRole('button', { name: 'I have kept them' }).click();
  await portal.getByRole('heading', { name: 'Welcome, Jo Bloggs' }).waitFor();

  // The settings page: on, cannot be turned off (required); the password changed.
  await portal.getByRole('navigation').getByRole('link', { name: 'Sign-in security' }).click();
  await portal.getByText(/^On since .+ recovery codes left\.$/).waitFor();
  await portal.getByText('Your provider requires two-factor sign-in: it cannot be turned off.').waitFor();
  await portal.getByLabel('Current password').fill('not my password');
  await portal.getByLabel('Password (12 characters or more)').fill('a brand new portal password');
  await portal.getByRole('button', { name: 'Change the password' }).click();
  await portal.locator('#field-current-password-error').waitFor();
  await portal.getByLabel('Current password').fill(JO.password);
  await portal.getByRole('button', { name: 'Change the password' }).click();
  await portal.getByText('Your password is changed; your other sessions are signed out.').waitFor();
  await check(portal, 'portal-security');
  await Promise.all([staff.close(), portal.close()]);
});
