// Behind a real gateway, for nginx and for Caddy (see gateway.mjs): a user
// visits the protected application, signs in on Tessera's page and lands
// back on the page asked for, which shows the name the application
// verified from the internal JWT. Headers the browser sends under the
// gateway's names never reach the application. A fetch() without a session
// gets 401, not a login page. A sign-out on Tessera, and later an
// administrator ending the session from the console on the other replica,
// make the gateway refuse the very next requests (the latter timed). A
// user outside the allowed group gets a page naming the application.
//
// Screenshots go to target/gateway-screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, random } from './harness.mjs';
import { startGateway } from './gateway.mjs';

const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/gateway-screenshots');
const PASSWORD = 'correct horse battery staple';
const ADMIN_PASSWORD = random();

let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium(['app.example.test']);
});

after(async () => {
  await browser?.close();
});

function provision(cli) {
  cli(['migrate']);
  cli(['user', 'create', '--username', 'admin', '--admin', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
  cli(['user', 'create', '--username', 'alice', '--email', 'alice@example.com', '--email-verified',
    '--name', 'Alice Example', '--password-stdin'], `${PASSWORD}\n`);
  cli(['user', 'create', '--username', 'bob', '--email', 'bob@example.com', '--name', 'Bob Example',
    '--password-stdin'], `${PASSWORD}\n`);
  cli(['group', 'create', 'staff']);
  cli(['group', 'add', 'alice', 'staff']);
  const app = cli(['app', 'create', '--name', 'Staff Portal', '--host', 'app.example.test', '--allow-group', 'staff']);
  assert.equal(app.audience, 'https://app.example.test');
}

async function signIn(page, username) {
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL((u) => u.hostname === 'app.example.test'),
    page.click('button[type=submit]'),
  ]);
}

/** The status of a fetch() the application's page makes to its own API. */
const apiStatus = (page) => page.evaluate(async () => (await fetch('/api/whoami')).status);

for (const proxy of ['nginx', 'caddy']) {
  test(`behind ${proxy}: sign in, come back, sign out, forced logout on another replica, denied`, async (t) => {
    const gw = await startGateway(proxy, { adminPassword: ADMIN_PASSWORD, provision });
    t.after(() => gw.stop());
    t.after(() => {
      if (t.passed === false) {
        for (const [name, log] of Object.entries(gw.logs)) console.error(`--- ${name}\n${log()}`);
      }
    });
    const shoot = (page, name) => page.screenshot({ path: path.join(shots, `${proxy}-${name}.png`), fullPage: true });
    const asked = `${gw.appOrigin}/reports/weekly?team=ops&x=%2F`;

    // To the application: to Tessera's login page, and back where we were.
    const alice = await (await browser.newContext()).newPage();
    await alice.goto(asked);
    const login = new URL(alice.url());
    assert.equal(login.host, `auth.example.test:${gw.proxyPort}`);
    assert.equal(login.pathname, '/login');
    assert.equal(login.searchParams.get('rd'), asked);
    await shoot(alice, '01-login');
    await signIn(alice, 'alice');
    assert.equal(alice.url(), asked, 'back on the page asked for');
    assert.equal(await alice.textContent('#name'), 'Alice Example');
    assert.equal(await alice.textContent('#groups'), 'staff');
    await shoot(alice, '02-application');

    // Headers sent under the gateway's names never reach the application.
    const echoed = await alice.evaluate(async () => {
      const r = await fetch('/api/whoami', { headers: { 'X-Internal-JWT': 'forged', 'Remote-User': 'mallory' } });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(echoed.status, 200);
    assert.equal(echoed.body.identity.preferred_username, 'alice');
    assert.equal(echoed.body.remote_user, 'alice');

    // Reached directly, the application believes no header: only a valid
    // internal JWT signs anyone in, and an access token is not one.
    for (const headers of [
      { 'Remote-User': 'alice' },
      { 'Remote-User': 'alice', 'X-Internal-JWT': 'forged' },
    ]) {
      const direct = await fetch(`${gw.appDirect}/api/whoami`, { headers });
      assert.equal(direct.status, 401, JSON.stringify(headers));
    }

    // Sign out on Tessera (another tab): the application's next fetch gets
    // 401, its next page the login page.
    const tab = await alice.context().newPage();
    await tab.goto(`${gw.issuer}/`);
    await Promise.all([tab.waitForURL(() => true), tab.click('button:has-text("Sign out")')]);
    assert.equal(await apiStatus(alice), 401, 'a script gets 401, not a login page');
    await alice.goto(`${gw.appOrigin}/again`);
    assert.equal(new URL(alice.url()).pathname, '/login');
    await shoot(alice, '03-signed-out');

    // Signed in again; the administrator ends the session from the console
    // (the pages replica), and the gateway replica refuses within a second.
    await signIn(alice, 'alice');
    assert.equal(new URL(alice.url()).pathname, '/again');
    assert.equal(await apiStatus(alice), 200);
    const admin = await (await browser.newContext()).newPage();
    await admin.goto(`${gw.issuer}/admin`);
    await admin.fill('#username', 'admin');
    await admin.fill('#password', ADMIN_PASSWORD);
    await Promise.all([admin.waitForURL((u) => u.pathname === '/admin'), admin.click('button[type=submit]')]);
    await admin.click('nav >> text=Users');
    await admin.click('a:has-text("alice")');
    await shoot(admin, '04-console-user');
    await Promise.all([admin.waitForURL(() => true), admin.click('button:has-text("End all sessions of this user")')]);
    const ended = Date.now();
    let status = 200;
    while (status !== 401) {
      status = await apiStatus(alice);
      assert.ok(Date.now() - ended < 1000, 'refused within a second of the forced logout');
    }
    console.log(`${proxy}: refused ${Date.now() - ended} ms after the console's forced logout on the other replica`);
    await alice.goto(`${gw.appOrigin}/after-logout`);
    assert.equal(new URL(alice.url()).pathname, '/login');

    // Bob is not in the group: a page naming the application.
    const bob = await (await browser.newContext()).newPage();
    await bob.goto(`${gw.appOrigin}/`);
    await signIn(bob, 'bob');
    const denied = await bob.textContent('body');
    assert.match(denied, /Access denied/);
    assert.match(denied, /Staff Portal/);
    await shoot(bob, '05-denied');
  });
}
