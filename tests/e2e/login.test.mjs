// A real browser signs in through Tessera's hosted login page and lands on
// a client's callback; a second authorization in the same browser is SSO.
// The user signs out on Tessera's own page, and the app's next silent
// (prompt=none) request gets login_required.
// A single-page app on another origin redeems its code and reads userinfo
// with fetch, under the browser's CORS rules.
//
// Tessera runs as auth.example.test, the client apps as app1.example.test and
// spa.example.test; Chromium maps them to 127.0.0.1 (see harness.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { b64url, claimsOf, launchChromium, listenOnAnyPort, random, startTessera } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';

let tessera, issuer, serverLog = () => '';
let callbackServer, callbackPort, callbacks = [];
let browser, client, spa;

before(async () => {
  // The client application, listening first on a port of its own: records
  // what arrives at its callback.
  callbackServer = createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === '/callback' || url.pathname === '/spa') callbacks.push(url);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>App One</title><h1>Signed in</h1>');
  });
  callbackPort = await listenOnAnyPort(callbackServer);
  tessera = await startTessera({
    adminPassword: random(),
    // Provision with the CLI, as an operator would.
    provision({ cli }) {
      cli(['migrate']);
      cli(['user', 'create', '--username', 'alice', '--email', 'alice@example.com',
        '--email-verified', '--name', 'Alice Example', '--password-stdin'], `${PASSWORD}\n`);
      const created = cli(['client', 'create', '--name', 'App One', '--id', 'app1', '--first-party',
        '--redirect-uri', `http://app1.example.test:${callbackPort}/callback`]);
      client = { id: created.client_id, secret: created.client_secret, redirectUri: created.redirect_uris[0] };
      assert.ok(client.secret, 'the CLI prints the client secret once');
      const createdSpa = cli(['client', 'create', '--name', 'Single Page', '--id', 'spa', '--first-party',
        '--public', '--redirect-uri', `http://spa.example.test:${callbackPort}/spa`]);
      assert.equal(createdSpa.client_secret ?? null, null, 'a public client has no secret');
      spa = { id: createdSpa.client_id, redirectUri: createdSpa.redirect_uris[0] };
    },
  });
  issuer = tessera.issuer;
  serverLog = tessera.log;


  browser = await launchChromium(['app1.example.test', 'spa.example.test']);
});

after(async () => {
  await browser?.close();
  tessera?.stop();
  await new Promise((resolve) => callbackServer?.close(resolve) ?? resolve());
});

function authorizationRequest(app = client) {
  const verifier = random();
  const state = random();
  const nonce = random();
  const url = new URL(`${issuer}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: app.id,
    redirect_uri: app.redirectUri,
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  return { url: url.toString(), verifier, state, nonce };
}

/** The client's back end exchanges the code. */
async function exchange(code, verifier) {
  const basic = Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
  const response = await fetch(tessera.url('/token'), {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}


test('a user signs in through the hosted page and lands on the client callback', async (t) => {
  t.after(() => { if (t.passed === false) console.error(serverLog()); });
  const context = await browser.newContext();
  const page = await context.newPage();

  // The app sends the browser to Tessera, which shows its login page.
  const request = authorizationRequest();
  await page.goto(request.url);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.getAttribute('#username', 'autocomplete'), 'username');
  assert.equal(await page.getAttribute('#password', 'autocomplete'), 'current-password');
  assert.match(await page.textContent('body'), /App One/);

  // A wrong password: the page stays, with the one generic message.
  await page.fill('#username', 'alice');
  await page.fill('#password', 'not the password');
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  await page.waitForURL((url) => url.pathname === '/login');
  assert.match(await page.textContent('body'), /Incorrect username or password\./);
  assert.equal(callbacks.length, 0);

  // The right password: Tessera redirects to the app's callback.
  await page.fill('#username', 'alice');
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.host === `app1.example.test:${callbackPort}`),
    page.click('button[type=submit]'),
  ]);
  assert.match(await page.textContent('h1'), /Signed in/);
  assert.equal(callbacks.length, 1);
  const callback = callbacks[0];
  assert.equal(callback.searchParams.get('state'), request.state);
  assert.equal(callback.searchParams.get('iss'), issuer);
  const code = callback.searchParams.get('code');
  assert.ok(code && code.length >= 43, 'a code with at least 256 bits');

  const tokens = await exchange(code, request.verifier);
  assert.equal(tokens.token_type, 'Bearer');
  const idToken = claimsOf(tokens.id_token);
  assert.equal(idToken.iss, issuer);
  assert.equal(idToken.aud, client.id);
  assert.equal(idToken.nonce, request.nonce);
  assert.ok(idToken.sub);

  // The session cookie is Tessera's alone (host-only, HttpOnly, Lax); what
  // the app's subdomain receives is the gateway cookie, a secret of its own.
  const atTessera = await context.cookies(`${issuer}/`);
  const session = atTessera.find((c) => c.name === 'tessera_session');
  assert.ok(session, `Tessera's session cookie: ${JSON.stringify(atTessera)}`);
  assert.equal(session.domain, 'auth.example.test', 'host-only');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  const atApp = await context.cookies(`http://app1.example.test:${callbackPort}/`);
  assert.equal(atApp.find((c) => c.name === 'tessera_session'), undefined, 'never sent to the app');
  const gateway = atApp.find((c) => c.name === 'tessera_gateway');
  assert.ok(gateway, `the gateway cookie reaches the app's subdomain: ${JSON.stringify(atApp)}`);
  assert.equal(gateway.domain.replace(/^\./, ''), 'example.test');
  assert.equal(gateway.httpOnly, true);
  assert.notEqual(gateway.value, session.value);

  // A second authorization in the same browser: straight to the callback.
  const again = authorizationRequest();
  await page.goto(again.url);
  await page.waitForURL((url) => url.host === `app1.example.test:${callbackPort}`);
  assert.equal(callbacks.length, 2);
  assert.equal(callbacks[1].searchParams.get('state'), again.state);
  const second = await exchange(callbacks[1].searchParams.get('code'), again.verifier);
  const secondId = claimsOf(second.id_token);
  assert.equal(secondId.sub, idToken.sub);
  assert.equal(secondId.sid, idToken.sid);

  await context.close();
});

test('a single-page app redeems its code and reads userinfo cross-origin', async (t) => {
  t.after(() => { if (t.passed === false) console.error(serverLog()); });
  const context = await browser.newContext();
  const page = await context.newPage();

  const request = authorizationRequest(spa);
  await page.goto(request.url);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('#username', 'alice');
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.host === `spa.example.test:${callbackPort}`),
    page.click('button[type=submit]'),
  ]);
  const landed = new URL(page.url());
  assert.equal(landed.searchParams.get('state'), request.state);

  // The app's own script, running on its origin, talks to Tessera's origin.
  const result = await page.evaluate(async ({ issuer, clientId, redirectUri, code, verifier }) => {
    const token = await fetch(`${issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code', client_id: clientId, code,
        redirect_uri: redirectUri, code_verifier: verifier,
      }),
    });
    const tokens = await token.json();
    // An Authorization header makes this a preflighted request.
    const info = await fetch(`${issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const denied = await fetch(`${issuer}/userinfo`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    return {
      origin: window.location.origin,
      tokenStatus: token.status,
      tokens,
      infoStatus: info.status,
      userinfo: await info.json(),
      deniedStatus: denied.status,
      challenge: denied.headers.get('www-authenticate'),
    };
  }, {
    issuer, clientId: spa.id, redirectUri: spa.redirectUri,
    code: landed.searchParams.get('code'), verifier: request.verifier,
  });

  assert.equal(result.origin, `http://spa.example.test:${callbackPort}`);
  assert.equal(result.tokenStatus, 200, JSON.stringify(result.tokens));
  assert.equal(claimsOf(result.tokens.id_token).aud, spa.id);
  assert.equal(claimsOf(result.tokens.id_token).nonce, request.nonce);
  assert.equal(result.infoStatus, 200);
  assert.equal(result.userinfo.email, 'alice@example.com');
  assert.equal(result.deniedStatus, 401);
  assert.match(result.challenge ?? '', /invalid_token/);

  await context.close();
});

test('a user signs out, and the app\'s next silent request needs a login', async (t) => {
  t.after(() => { if (t.passed === false) console.error(serverLog()); });
  const context = await browser.newContext();
  const page = await context.newPage();
  const appHost = `app1.example.test:${callbackPort}`;

  const request = authorizationRequest();
  await page.goto(request.url);
  await page.fill('#username', 'alice');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((url) => url.host === appHost), page.click('button[type=submit]')]);
  assert.equal(callbacks.at(-1).searchParams.get('state'), request.state);

  // Tessera's home page knows the user, styled by the stylesheet built into the binary.
  await page.goto(`${issuer}/`);
  assert.match(await page.textContent('h1'), /Signed in/);
  assert.equal(await page.$eval('.card', (el) => getComputedStyle(el).borderRadius), '12px');

  // The account page lists this browser's session.
  await Promise.all([page.waitForURL((url) => url.pathname === '/account'), page.click('text=Your sessions')]);
  assert.match(await page.textContent('table'), /This browser/);
  assert.match(await page.textContent('table'), /Chrom/);

  // Sign out.
  await page.goto(`${issuer}/`);
  await Promise.all([page.waitForURL((url) => url.pathname === '/logout'), page.click('button:has-text("Sign out")')]);
  assert.match(await page.textContent('h1'), /Signed out/);
  const cookies = await context.cookies(`http://${appHost}/`);
  assert.equal(cookies.find((c) => c.name === 'tessera_session'), undefined, 'the SSO cookie is gone');

  // The app tries a silent sign-in: the user must log in again.
  const silent = authorizationRequest();
  await page.goto(`${silent.url}&prompt=none`);
  await page.waitForURL((url) => url.host === appHost);
  const answer = callbacks.at(-1);
  assert.equal(answer.searchParams.get('error'), 'login_required');
  assert.equal(answer.searchParams.get('state'), silent.state);
  assert.equal(answer.searchParams.get('code'), null);

  await context.close();
});
