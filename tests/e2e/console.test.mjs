// The admin console driven in Chromium as an administrator would: sign in
// to the console, create a user and a confidential client with a
// back-channel logout URI; in a second browser that user signs in to a
// relying party; the administrator finds the session on the Sessions page
// and ends it. Then the RP's refresh is refused, introspection says
// inactive, the RP received a logout token that verifies with /jwks, and
// the user's next visit asks for the password. Also a key rotation seen
// through /jwks, with an old token still verifying.
//
// Screenshots of every console page go to target/console-screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { b64url, claimsOf, launchChromium, listenOnAnyPort, random, startTessera } from './harness.mjs';

const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/console-screenshots');
const ADMIN_PASSWORD = 'console admin passphrase';
const BOB_PASSWORD = 'bob has a long passphrase';

let tessera, issuer, serverLog = () => '';
let rpServer, rpPort, callbacks = [], logoutTokens = [];
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  // The relying party: its callback, and its back-channel logout endpoint.
  rpServer = createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (req.method === 'POST' && url.pathname === '/backchannel') {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        logoutTokens.push(new URLSearchParams(body).get('logout_token'));
        res.writeHead(200).end();
      });
      return;
    }
    if (url.pathname === '/callback') callbacks.push(url);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Relying party</title><h1>Relying party</h1>');
  });
  rpPort = await listenOnAnyPort(rpServer);

  // The relying party listens on loopback: allow that network to deliveries.
  tessera = await startTessera({ adminPassword: ADMIN_PASSWORD, env: { TESSERA_BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' } });
  issuer = tessera.issuer;
  serverLog = tessera.log;
  browser = await launchChromium(['app1.example.test']);
});

after(async () => {
  await browser?.close();
  tessera?.stop();
  await new Promise((resolve) => rpServer?.close(resolve) ?? resolve());
});

const api = (p) => tessera.url(p);
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Verify a JWS with the key /jwks publishes under its kid; its header and claims. */
async function verifyWithJwks(token) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const jwks = await (await fetch(api('/jwks'))).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is published`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok = header.alg === 'RS256'
    ? verifySignature('sha256', data, key, signature)
    : header.alg === 'ES256'
      ? verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : verifySignature(null, data, key, signature);
  assert.ok(ok, `the ${header.alg} signature verifies`);
  return { header, claims: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

async function shoot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function until(what, check) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await check()) return;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('an administrator ends a user\'s session from the console', async (t) => {
  t.after(() => { if (t.passed === false) console.error(serverLog()); });
  const admin = await (await browser.newContext()).newPage();

  // Into the console through its own sign-in form.
  await admin.goto(`${issuer}/admin`);
  assert.equal(new URL(admin.url()).pathname, '/admin');
  await shoot(admin, '00-sign-in');
  await admin.fill('#username', 'admin');
  await admin.fill('#password', ADMIN_PASSWORD);
  await Promise.all([admin.waitForURL((u) => u.pathname === '/admin'), admin.click('button[type=submit]')]);
  assert.match(await admin.textContent('h1'), /Overview/);
  await shoot(admin, '01-overview');

  // A user.
  await admin.click('nav >> text=Users');
  await admin.click('text=New user');
  await shoot(admin, '02-user-new');
  await admin.fill('#username', 'bob');
  await admin.fill('#email', 'bob@example.com');
  await admin.fill('#name', 'Bob Example');
  await admin.fill('#password', BOB_PASSWORD);
  await Promise.all([admin.waitForURL((u) => u.pathname.startsWith('/admin/users/')), admin.click('button:has-text("Create user")')]);
  assert.match(await admin.textContent('h1'), /bob/);

  // A confidential client with a back-channel logout URI.
  await admin.click('nav >> text=Clients');
  await admin.click('text=New client');
  await admin.fill('#id', 'rp');
  await admin.fill('#name', 'Relying Party');
  await admin.fill('#redirect_uris', `http://app1.example.test:${rpPort}/callback`);
  await admin.fill('#backchannel_logout_uri', `http://127.0.0.1:${rpPort}/backchannel`);
  await admin.check('input[name=backchannel_logout_session_required]');
  await admin.check('input[name=first_party]');
  await shoot(admin, '03-client-new');
  await admin.click('button:has-text("Create client")');
  await admin.waitForSelector('#secret');
  const secret = (await admin.textContent('#secret')).trim();
  assert.ok(secret.length >= 43, 'the secret is shown once');
  await shoot(admin, '04-client-secret');
  await admin.click('text=Done');
  await shoot(admin, '05-client');

  // In another browser, bob signs in to the relying party.
  const bob = await (await browser.newContext()).newPage();
  const verifier = random();
  const authorize = () => {
    const url = new URL(`${issuer}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: 'rp', redirect_uri: `http://app1.example.test:${rpPort}/callback`,
      scope: 'openid profile offline_access', state: random(), nonce: random(),
      code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
    });
    return url.toString();
  };
  await bob.goto(authorize());
  await bob.fill('#username', 'bob');
  await bob.fill('#password', BOB_PASSWORD);
  await Promise.all([bob.waitForURL((u) => u.host === `app1.example.test:${rpPort}`), bob.click('button[type=submit]')]);
  const code = callbacks.at(-1).searchParams.get('code');
  const tokenResponse = await fetch(api('/token'), {
    method: 'POST',
    headers: { authorization: basic('rp', secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `http://app1.example.test:${rpPort}/callback`, code_verifier: verifier }),
  });
  const tokens = await tokenResponse.json();
  assert.equal(tokenResponse.status, 200, JSON.stringify(tokens));
  const sid = claimsOf(tokens.id_token).sid;

  // The administrator finds bob's session and ends it.
  await admin.click('nav >> text=Sessions');
  await admin.fill('#user', 'bob');
  await Promise.all([admin.waitForURL((u) => u.searchParams.get('user') === 'bob'), admin.click('button:has-text("Filter")')]);
  const row = admin.locator('tr', { hasText: 'Relying Party' }).or(admin.locator('tr', { hasText: 'rp' })).first();
  assert.match(await row.textContent(), /bob/);
  await shoot(admin, '06-sessions');
  await Promise.all([admin.waitForURL((u) => u.searchParams.get('done') === 'ended'), row.locator('button:has-text("End session")').click()]);
  assert.match(await admin.textContent('.notice'), /Ended 1 session\(s\), revoked 1 token family, queued 1 back-channel notice/);

  // The RP's refresh is refused; introspection says inactive.
  const refreshed = await fetch(api('/token'), {
    method: 'POST',
    headers: { authorization: basic('rp', secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
  });
  assert.equal(refreshed.status, 400);
  assert.equal((await refreshed.json()).error, 'invalid_grant');
  const introspected = await fetch(api('/introspect'), {
    method: 'POST',
    headers: { authorization: basic('rp', secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.access_token }),
  });
  assert.deepEqual(await introspected.json(), { active: false });

  // The RP received a logout token that verifies with /jwks.
  await until('the logout token', async () => logoutTokens.length === 1);
  const { header, claims } = await verifyWithJwks(logoutTokens[0]);
  assert.equal(header.typ, 'logout+jwt');
  assert.equal(claims.iss, issuer);
  assert.equal(claims.aud, 'rp');
  assert.equal(claims.sid, sid);
  assert.deepEqual(claims.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.equal(claims.nonce, undefined);

  // bob's next visit asks for his password again.
  await bob.goto(authorize());
  assert.equal(new URL(bob.url()).pathname, '/login');

  // The client's page shows the delivery; the user's page and the audit log.
  await admin.goto(`${issuer}/admin/clients/rp`);
  assert.match(await admin.textContent('.facts'), /Delivered\s*1/);
  await shoot(admin, '07-client-delivered');
  await admin.click('nav >> text=Users');
  await shoot(admin, '08-users');
  await admin.click('text=bob');
  await shoot(admin, '09-user');
  await admin.click('nav >> text=Audit log');
  assert.match(await admin.textContent('table'), /session\.end/);
  await shoot(admin, '10-audit');
});

test('a key rotation shows in /jwks and an old token still verifies', async (t) => {
  t.after(() => { if (t.passed === false) console.error(serverLog()); });
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`${issuer}/admin`);
  await admin.fill('#username', 'admin');
  await admin.fill('#password', ADMIN_PASSWORD);
  await Promise.all([admin.waitForURL((u) => u.pathname === '/admin'), admin.click('button[type=submit]')]);

  // A token signed before the rotation.
  const created = tessera.cli(['client', 'create', '--name', 'svc', '--id', 'svc',
    '--grant', 'client_credentials', '--scope', 'api:read']);
  const before = await (await fetch(api('/token'), {
    method: 'POST',
    headers: { authorization: basic('svc', created.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  })).json();
  assert.equal((await (await fetch(api('/jwks'))).json()).keys.length, 3);

  await admin.click('nav >> text=Signing keys');
  await shoot(admin, '11-keys');
  await Promise.all([admin.waitForURL((u) => u.searchParams.get('done') === 'keys-rotated'), admin.click('button:has-text("Rotate now")')]);
  assert.equal(await admin.locator('.tag.state-next').count(), 3);
  await shoot(admin, '12-keys-rotated');

  const jwks = await (await fetch(api('/jwks'))).json();
  assert.equal(jwks.keys.length, 6, 'the new keys are published before they sign');
  await verifyWithJwks(before.access_token);
});

test('the console fits a 390 px wide phone: no page scrolls sideways', async (t) => {
  t.after(() => { if (t.passed === false) console.error(serverLog()); });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const admin = await context.newPage();
  await admin.goto(`${issuer}/admin`);
  await admin.fill('#username', 'admin');
  await admin.fill('#password', ADMIN_PASSWORD);
  await Promise.all([admin.waitForURL((u) => u.pathname === '/admin'), admin.click('button[type=submit]')]);
  const pages = ['/admin', '/admin/users', '/admin/groups', '/admin/apis', '/admin/clients',
    '/admin/clients/rp', '/admin/apps', '/admin/sessions', '/admin/keys', '/admin/audit'];
  for (const [i, p] of pages.entries()) {
    await admin.goto(`${issuer}${p}`);
    const width = await admin.evaluate(() => document.documentElement.scrollWidth);
    await shoot(admin, `20-phone-${String(i).padStart(2, '0')}${p.replaceAll('/', '-')}`);
    assert.ok(width <= 390, `${p} is ${width} px wide at 390 px`);
    // The header is one bar: the navigation is a single scrolling row.
    const navHeight = await admin.evaluate(() => document.querySelector('.admin-nav').getBoundingClientRect().height);
    assert.ok(navHeight < 60, `${p}: the navigation is one row (${navHeight} px high)`);
  }
  // Audit details read as fields, wrapped between words.
  await admin.goto(`${issuer}/admin/audit`);
  const details = await admin.locator('td.details').first().evaluate((cell) => getComputedStyle(cell).wordBreak);
  assert.notEqual(details, 'break-all');
  await context.close();
});
