// A gateway for real: two Tessera replicas sharing PostgreSQL and Redis,
// examples/whoami as the protected application, and nginx or Caddy in
// front with the configuration of deploy/gateway, its addresses changed to
// this test's ports. The proxy sends Tessera's pages to one replica and its
// forward-auth questions to the other, so every change made on the pages
// (a sign-out, the console) reaches the gateway across replicas.
//
// Needs TESSERA_BIN, the whoami binary beside it (or WHOAMI_BIN), nginx and
// caddy on the PATH, PostgreSQL (TESSERA_TEST_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/test) and Redis (TESSERA_TEST_REDIS_URL).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastFreePort, PortTaken, spawnTessera } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const whoamiBin = process.env.WHOAMI_BIN ?? path.join(path.dirname(process.env.TESSERA_BIN ?? ''), 'whoami');
const postgresUrl = process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Run `sql` on the PostgreSQL test server's maintenance database. */
function psql(sql) {
  execFileSync('psql', [postgresUrl, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'pipe' });
}

async function untilUp(what, url, exited, log) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch { /* not yet */ }
    assert.ok(exited() === null, `${what} exited:\n${log()}`);
    assert.ok(Date.now() < deadline, `${what} did not come up:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startProcess(what, command, args, env) {
  let log = '';
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  return { child, log: () => log, exited: () => child.exitCode ?? child.signalCode, stop: () => child.kill() };
}

/** The nginx configuration of deploy/gateway, on these ports. */
function nginxConfig(dir, { proxyPort, pagesPort, gatewayPort, appPort }) {
  let conf = readFileSync(path.join(root, 'deploy/gateway/nginx.conf'), 'utf8');
  const upstream = (name, port) => {
    const pattern = new RegExp(`(upstream ${name} \\{\\s*server )127\\.0\\.0\\.1:\\d+;`);
    assert.match(conf, pattern, `upstream ${name} in deploy/gateway/nginx.conf`);
    conf = conf.replace(pattern, `$1127.0.0.1:${port};`);
  };
  upstream('tessera', pagesPort);
  upstream('tessera_gateway', gatewayPort);
  upstream('app', appPort);
  assert.match(conf, /listen 80;/);
  conf = conf.replaceAll('listen 80;', `listen 127.0.0.1:${proxyPort};`);
  writeFileSync(path.join(dir, 'gateway.conf'), conf);
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, temp), { recursive: true });
  const main = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
error_log ${dir}/error.log info;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/gateway.conf;
}
`;
  writeFileSync(path.join(dir, 'nginx.conf'), main);
  return path.join(dir, 'nginx.conf');
}

/** The Caddyfile of deploy/gateway, on these ports, over plain http. */
function caddyConfig(dir, { proxyPort, pagesPort, gatewayPort, appPort }) {
  let conf = readFileSync(path.join(root, 'deploy/gateway/Caddyfile'), 'utf8');
  const swap = (from, to) => {
    assert.ok(conf.includes(from), `${from} in deploy/gateway/Caddyfile`);
    conf = conf.replaceAll(from, to);
  };
  swap('auth.example.test {', `http://auth.example.test:${proxyPort} {`);
  swap('app.example.test {', `http://app.example.test:${proxyPort} {`);
  swap('reverse_proxy 127.0.0.1:8080', `reverse_proxy 127.0.0.1:${pagesPort}`);
  swap('forward_auth 127.0.0.1:8080', `forward_auth 127.0.0.1:${gatewayPort}`);
  swap('reverse_proxy 127.0.0.1:9000', `reverse_proxy 127.0.0.1:${appPort}`);
  conf = `{\n\tadmin off\n\tauto_https off\n}\n\n${conf}`;
  writeFileSync(path.join(dir, 'Caddyfile'), conf);
  return path.join(dir, 'Caddyfile');
}

/**
 * Everything for one proxy ('nginx' or 'caddy'). `provision(cli)` runs
 * against the shared database before the replicas start.
 */
export async function startGateway(proxy, { adminPassword, provision }) {
  const dir = mkdtempSync(path.join(tmpdir(), `tessera-gateway-${proxy}-`));
  const database = `tessera_e2e_${randomBytes(6).toString('hex')}`;
  psql(`CREATE DATABASE ${database}`);
  const dbUrl = new URL(postgresUrl);
  dbUrl.pathname = `/${database}`;
  const proxyPort = await lastFreePort();
  const issuer = `http://auth.example.test:${proxyPort}`;
  const env = {
    TESSERA_DATABASE_URL: dbUrl.toString(),
    TESSERA_REDIS_URL: redisUrl,
    TESSERA_REDIS_PREFIX: `tessera-e2e:${randomBytes(6).toString('hex')}:`,
    TESSERA_PEPPER: randomBytes(32).toString('base64url'),
    TESSERA_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
  };
  const stops = [];
  const started = { issuer, proxyPort, appOrigin: `http://app.example.test:${proxyPort}`, logs: {} };
  started.stop = () => {
    for (const stop of stops.reverse()) { try { stop(); } catch { /* already gone */ } }
    try { psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`); } catch { /* best effort */ }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const replica = async (name, first) => {
      for (let attempt = 1; ; attempt += 1) {
        const port = await lastFreePort();
        const workdir = path.join(dir, `${name}-${attempt}`);
        mkdirSync(workdir);
        try {
          const t = await spawnTessera({ issuer, port, workdir, env, provision: first ? ({ cli }) => provision(cli) : () => {} });
          stops.push(() => t.stop());
          started.logs[name] = t.log;
          return t;
        } catch (error) {
          if (!(error instanceof PortTaken) || attempt >= 5) throw error;
        }
      }
    };
    // The pages replica migrates and is provisioned first; the gateway
    // replica shares its database and Redis.
    const pages = await replica('pages', true);
    const gateway = await replica('gateway', false);
    started.pages = pages;
    started.gateway = gateway;

    const appPort = await lastFreePort();
    const app = startProcess('whoami', whoamiBin, [], {
      PATH: process.env.PATH,
      WHOAMI_ISSUER: issuer,
      WHOAMI_AUDIENCE: 'https://app.example.test',
      WHOAMI_JWKS_URL: gateway.url('/jwks'),
      WHOAMI_BIND: `127.0.0.1:${appPort}`,
    });
    stops.push(app.stop);
    started.logs.whoami = app.log;
    started.appDirect = `http://127.0.0.1:${appPort}`;
    await untilUp('whoami', `http://127.0.0.1:${appPort}/`, app.exited, app.log);

    const ports = { proxyPort, pagesPort: pages.port, gatewayPort: gateway.port, appPort };
    const proxyDir = path.join(dir, proxy);
    mkdirSync(proxyDir);
    const server = proxy === 'nginx'
      ? startProcess('nginx', 'nginx', ['-p', proxyDir, '-c', nginxConfig(proxyDir, ports)], { PATH: process.env.PATH })
      : startProcess('caddy', 'caddy', ['run', '--adapter', 'caddyfile', '--config', caddyConfig(proxyDir, ports)], {
        PATH: process.env.PATH, HOME: proxyDir, XDG_DATA_HOME: proxyDir, XDG_CONFIG_HOME: proxyDir,
      });
    stops.push(server.stop);
    started.logs[proxy] = () => {
      let extra = '';
      try { extra = readFileSync(path.join(proxyDir, 'error.log'), 'utf8'); } catch { /* caddy logs to stderr */ }
      return server.log() + extra;
    };
    await untilUp(proxy, `http://127.0.0.1:${proxyPort}/`, server.exited, started.logs[proxy]);
    return started;
  } catch (error) {
    started.stop();
    throw error;
  }
}
