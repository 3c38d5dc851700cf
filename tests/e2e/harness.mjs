// What every browser test needs: Tessera started on a fresh SQLite database
// as auth.example.test, its command line, and Chromium mapping the test
// hosts to 127.0.0.1.
//
// Needs TESSERA_BIN (the tessera binary) and Chromium at /usr/bin/chromium
// (or TESSERA_CHROMIUM).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const bin = process.env.TESSERA_BIN;
const chromiumPath = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const random = () => b64url(randomBytes(32));
export const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/** Listen with `server` on a port of its own on 127.0.0.1; the port. */
export async function listenOnAnyPort(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

/** A port that was free a moment ago (another process may take it first). */
export async function lastFreePort() {
  const server = createServer();
  const port = await listenOnAnyPort(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Start Tessera on a fresh database with `adminPassword` for the bootstrap
 * admin. `provision(tessera)` runs first, with the command line at hand.
 * Resolves once /health answers.
 */
export async function startTessera({ adminPassword, provision = () => {}, env: extra = {} }) {
  assert.ok(bin, 'set TESSERA_BIN to the tessera binary');
  assert.ok(existsSync(bin), `TESSERA_BIN ${bin} does not exist`);
  const workdir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-'));
  // The issuer names its port, so the port is chosen before Tessera binds
  // it; if another process takes it meanwhile, Tessera is started again
  // on another one.
  for (let attempt = 1; ; attempt += 1) {
    const port = await lastFreePort();
    try {
      return await startOn(port, { workdir, adminPassword, provision, extra, firstAttempt: attempt === 1 });
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= 5) throw error;
    }
  }
}

export class PortTaken extends Error {}

async function startOn(port, { workdir, adminPassword, provision, extra, firstAttempt }) {
  const issuer = `http://auth.example.test:${port}`;
  return spawnTessera({
    issuer, port, workdir, provision: firstAttempt ? provision : () => {},
    env: { TESSERA_BOOTSTRAP_ADMIN_PASSWORD: adminPassword, ...extra },
  });
}

/**
 * Start one Tessera process answering as `issuer` on 127.0.0.1:`port`
 * (several may share an issuer behind a proxy), with SQLite in `workdir`
 * unless `env` names another database. `provision(tessera)` runs first.
 * Resolves once /health answers; rejects with PortTaken if the port was.
 */
export async function spawnTessera({ issuer, port, workdir, env: extra = {}, provision = () => {} }) {
  const env = {
    PATH: process.env.PATH,
    RUST_LOG: 'info',
    TESSERA_ISSUER: issuer,
    TESSERA_BIND: `127.0.0.1:${port}`,
    TESSERA_DATABASE_URL: `sqlite://${workdir}/tessera.db?mode=rwc`,
    TESSERA_PEPPER_FILE: `${workdir}/pepper`,
    TESSERA_COOKIE_DOMAIN: 'example.test',
    ...extra,
  };
  let log = '';
  let server;
  const tessera = {
    issuer,
    port,
    /** A URL of Tessera reached directly, not through the browser's host map. */
    url: (p) => `http://127.0.0.1:${port}${p}`,
    /** Run a command against the test database; its JSON output. */
    cli(args, input) {
      const out = execFileSync(bin, ['--json', ...args], { cwd: workdir, env, input, encoding: 'utf8', stdio: 'pipe' });
      return JSON.parse(out);
    },
    log: () => log,
    stop() {
      server?.kill();
      rmSync(workdir, { recursive: true, force: true });
    },
  };
  await provision(tessera);

  server = spawn(bin, [], { cwd: workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { log += d; });
  server.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(tessera.url('/health'))).ok) break;
    } catch { /* not listening yet */ }
    assert.ok(Date.now() < deadline, `Tessera did not become ready:\n${log}`);
    if (server.exitCode !== null && log.includes('cannot listen')) throw new PortTaken(log);
    assert.equal(server.exitCode, null, `Tessera exited:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return tessera;
}

/** Headless Chromium resolving auth.example.test and `hosts` to 127.0.0.1. */
export async function launchChromium(hosts) {
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath}`);
  const rules = ['auth.example.test', ...hosts].map((h) => `MAP ${h} 127.0.0.1`).join(', ');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=${rules}`,
    ],
  });
}
