#!/usr/bin/env python3
"""The load of scripts/soak: virtual users on two Tessera replicas.

Each virtual user signs in (argon2id), then, alternating replicas, runs a
mix of what users and services do: the authorization code flow, refreshes,
/userinfo, /introspect, /forward-auth, and now and then signs out and in
again. First the peak is measured (every user as fast as it can), then the
load runs at a share of it for the given time. At the end it checks what
was written: every sign-in in the audit log, every user's last refresh
token alive, every live session still signed in; and that no answer was a
5xx. Standard library only.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import random
import re
import subprocess
import sys
import time
import urllib.parse


class Http:
    """One keep-alive HTTP/1.1 connection per replica, with a cookie jar."""

    def __init__(self, ports, host):
        self.ports = ports
        self.host = host
        self.conns = {}
        self.cookies = {}

    async def request(self, port, method, path, body=None, headers=None):
        for attempt in range(2):
            if port not in self.conns:
                self.conns[port] = await asyncio.open_connection("127.0.0.1", port)
            reader, writer = self.conns[port]
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
            if self.cookies:
                lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            for name, value in (headers or {}).items():
                lines.append(f"{name}: {value}")
            data = body.encode() if body is not None else b""
            if body is not None:
                lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(data)}")
            try:
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
                await writer.drain()
                return await self.read(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.conns.pop(port, None)
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    async def read(self, reader):
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                if "max-age=0" in value.lower() or val == "":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
            headers[name] = value
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body.decode("utf-8", "replace")

    def close(self):
        for _, writer in self.conns.values():
            writer.close()
        self.conns.clear()


def form(**fields):
    return urllib.parse.urlencode(fields)


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class Stats:
    def __init__(self):
        self.ops = {}
        self.statuses = {}
        self.server_errors = []
        self.problems = []
        self.sign_ins = 0
        self.latencies = []

    def record(self, op, status, started):
        self.ops[op] = self.ops.get(op, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(time.monotonic() - started)
        if status >= 500:
            self.server_errors.append((op, status))


class User:
    def __init__(self, n, args, stats):
        self.n = n
        self.args = args
        self.stats = stats
        self.http = Http(args.ports, args.host)
        self.username = f"soak{n:03d}"
        self.refresh = None
        self.access = None
        self.turn = n

    def port(self):
        self.turn += 1
        return self.args.ports[self.turn % len(self.args.ports)]

    async def call(self, op, method, path, body=None, headers=None, port=None):
        started = time.monotonic()
        status, headers_out, text = await self.http.request(port or self.port(), method, path, body, headers)
        self.stats.record(op, status, started)
        return status, headers_out, text

    async def sign_in(self):
        status, _, page = await self.call("login page", "GET", "/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.csrf = csrf
        status, _, _ = await self.call("sign-in", "POST", "/login", form(
            username=self.username, password=self.args.password, csrf_token=csrf))
        if status == 303:
            self.stats.sign_ins += 1
            return True
        return False

    async def code_flow(self):
        verifier = base64.urlsafe_b64encode(random.randbytes(32)).rstrip(b"=").decode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = form(response_type="code", client_id="soak-web", redirect_uri="https://web.soak.test/cb",
                     scope="openid profile email offline_access", code_challenge=challenge,
                     code_challenge_method="S256", state="s", nonce="n")
        status, headers, _ = await self.call("authorize", "GET", "/authorize?" + query)
        location = headers.get("location", "")
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code")
        if not code:
            return False
        status, _, text = await self.call("code redemption", "POST", "/token", form(
            grant_type="authorization_code", code=code[0], redirect_uri="https://web.soak.test/cb",
            code_verifier=verifier), {"Authorization": basic("soak-web", self.args.web_secret)})
        if status == 200:
            tokens = json.loads(text)
            self.refresh, self.access = tokens["refresh_token"], tokens["access_token"]
        return status == 200

    async def do_refresh(self):
        if not self.refresh:
            return await self.code_flow()
        status, _, text = await self.call("refresh", "POST", "/token", form(
            grant_type="refresh_token", refresh_token=self.refresh),
            {"Authorization": basic("soak-web", self.args.web_secret)})
        if status == 200:
            tokens = json.loads(text)
            self.refresh, self.access = tokens["refresh_token"], tokens["access_token"]
        else:
            self.stats.lost = getattr(self.stats, "lost", []) + [("refresh", self.n, status, text[:200])]

    async def userinfo(self):
        if self.access:
            await self.call("userinfo", "GET", "/userinfo", headers={"Authorization": "Bearer " + self.access})

    async def introspect(self):
        if self.access:
            await self.call("introspection", "POST", "/introspect", form(token=self.access),
                            {"Authorization": basic("soak-api", self.args.api_secret)})

    async def forward_auth(self):
        gateway = self.http.cookies.get("tessera_gateway")
        if gateway:
            await self.call("forward-auth", "GET", "/forward-auth", headers={
                "X-Forwarded-Host": "app.soak.test", "X-Forwarded-Proto": "https",
                "X-Forwarded-Uri": "/", "Accept": "text/html"})

    async def sign_out_and_in(self):
        # As a browser: the confirmation page, then its form.
        port = self.port()
        _, _, page = await self.call("sign-out page", "GET", "/logout", port=port)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        csrf = found.group(1) if found else self.csrf
        signed_out, _, page = await self.call("sign-out", "POST", "/logout", form(confirm="yes", csrf_token=csrf), port=port)
        if "You are signed out" not in page:
            self.stats.problems.append(f"{self.username}'s sign-out was refused ({signed_out}): "
                                       + re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", page))[:200])
        ended_tokens = (self.refresh, self.access)
        self.refresh = self.access = None
        # Signed out everywhere: a sign-in is asked for again, and the
        # session's tokens are dead, on either replica.
        status, headers, _ = await self.call("authorize", "GET", "/authorize?" + form(
            response_type="code", client_id="soak-web", redirect_uri="https://web.soak.test/cb",
            scope="openid", code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            code_challenge_method="S256"))
        if "/login" not in headers.get("location", ""):
            self.stats.problems.append(f"{self.username} was still signed in after signing out: "
                                       f"{status} {headers.get('location', '')[:80]}")
        if ended_tokens[0]:
            status, _, _ = await self.call("refresh", "POST", "/token", form(
                grant_type="refresh_token", refresh_token=ended_tokens[0]),
                {"Authorization": basic("soak-web", self.args.web_secret)})
            if status != 400:
                self.stats.problems.append(f"{self.username}'s refresh token outlived the sign-out ({status})")
        await self.sign_in()
        await self.code_flow()

    async def step(self):
        r = random.random()
        if r < 0.10:
            await self.code_flow()
        elif r < 0.35:
            await self.do_refresh()
        elif r < 0.65:
            await self.userinfo()
        elif r < 0.85:
            await self.introspect()
        elif r < 0.98:
            await self.forward_auth()
        else:
            await self.sign_out_and_in()


async def run_users(users, seconds, rate):
    """Every user steps until `seconds` pass; at `rate` steps/s in all, or
    as fast as it can when rate is None. Returns the steps done."""
    deadline = time.monotonic() + seconds
    done = 0

    async def one(user):
        nonlocal done
        interval = len(users) / rate if rate else 0
        next_at = time.monotonic() + random.random() * interval
        while time.monotonic() < deadline:
            if interval:
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_at += interval
            await user.step()
            done += 1

    await asyncio.gather(*(one(u) for u in users))
    return done


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


async def sample_rss(pids, samples, stop):
    """Every half second: (time, RSS of each replica)."""
    while not stop.is_set():
        samples.append((time.monotonic(), [rss_mib(pid) for pid in pids]))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


def rss_window(samples, until, seconds, replicas):
    """Each replica's lowest and highest RSS over the `seconds` before `until`.
    Memory in use comes and goes with the requests under way, so one
    reading says more about that moment than about what the process keeps;
    the lowest over a window is what it keeps."""
    window = [rss for t, rss in samples if until - seconds <= t <= until] or [samples[-1][1]]
    return [(min(r[i] for r in window), max(r[i] for r in window)) for i in range(replicas)]


def psql(url, sql):
    return subprocess.run(["psql", url, "-tAc", sql], check=True, capture_output=True, text=True).stdout.strip()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, nargs="+", required=True)
    parser.add_argument("--pids", type=int, nargs="+", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--share", type=float, default=0.8)
    parser.add_argument("--password", required=True)
    parser.add_argument("--web-secret", required=True)
    parser.add_argument("--api-secret", required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()

    stats = Stats()
    users = [User(n, args, stats) for n in range(args.users)]
    await asyncio.gather(*(u.sign_in() for u in users))
    await asyncio.gather(*(u.code_flow() for u in users))

    calibration = min(10, max(3, args.seconds // 10))
    peak = await run_users(users, calibration, None) / calibration
    rate = peak * args.share
    print(f"peak of the mix: {peak:.0f} steps/s with {args.users} users; running at {rate:.0f} steps/s "
          f"({args.share:.0%}) for {args.seconds} s", flush=True)
    stats.latencies.clear()
    first = min(60, args.seconds // 3)
    started = time.monotonic()
    samples, stop = [], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(args.pids, samples, stop))
    done = await run_users(users, first, rate)
    first_at = time.monotonic()
    done += await run_users(users, args.seconds - first, rate)
    end_at = time.monotonic()
    elapsed = end_at - started
    stop.set()
    await sampler
    window = min(30, first)
    rss_first = rss_window(samples, first_at, window, len(args.pids))
    rss_end = rss_window(samples, end_at, window, len(args.pids))

    # What was written stays written.
    problems = []
    audited = int(psql(args.database, "SELECT count(*) FROM audit_events WHERE action = 'sign_in' AND outcome = 'success'"))
    if audited != stats.sign_ins:
        problems.append(f"{stats.sign_ins} sign-ins, {audited} in the audit log")
    for user in users:
        user.http.close()
        if user.refresh:
            status, _, _ = await user.call("final refresh", "POST", "/token", form(
                grant_type="refresh_token", refresh_token=user.refresh),
                {"Authorization": basic("soak-web", args.web_secret)})
            if status != 200:
                problems.append(f"{user.username}'s last refresh token was refused ({status})")
        status, headers, _ = await user.call("final authorize", "GET", "/authorize?" + form(
            response_type="code", client_id="soak-web", redirect_uri="https://web.soak.test/cb",
            scope="openid", code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            code_challenge_method="S256"))
        if "code=" not in headers.get("location", ""):
            problems.append(f"{user.username}'s session was lost")
    for entry in getattr(stats, "lost", []):
        problems.append(f"refresh refused: {entry}")
    problems.extend(stats.problems)

    latencies = sorted(stats.latencies)
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    print(f"{done} steps in {elapsed:.0f} s ({done / elapsed:.0f}/s), {sum(stats.ops.values())} requests; "
          f"p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
    print("requests: " + ", ".join(f"{op} {n}" for op, n in sorted(stats.ops.items())))
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(stats.statuses.items())))
    print(f"5xx: {len(stats.server_errors)}; sign-ins {stats.sign_ins}, audited {audited}")
    growth = [(end[0] - first_[0]) / first_[0] for first_, end in zip(rss_first, rss_end)]
    for pid, a, b, g in zip(args.pids, rss_first, rss_end, growth):
        print(f"replica {pid}: RSS over the {window} s up to {first} s {a[0]:.1f}-{a[1]:.1f} MiB, "
              f"over the last {window} s {b[0]:.1f}-{b[1]:.1f} MiB (lowest {g:+.1%})")
    # The course between: each minute's lowest, to tell growth from a level.
    for i, pid in enumerate(args.pids):
        minutes = []
        for minute in range(1, int(elapsed // 60) + 1):
            low = rss_window(samples, started + 60 * minute, 60, len(args.pids))[i][0]
            minutes.append(f"{low:.1f}")
        if minutes:
            print(f"replica {pid}: lowest RSS of each minute, MiB: {' '.join(minutes)}")
    if stats.server_errors:
        problems.append(f"{len(stats.server_errors)} answers were 5xx: {stats.server_errors[:5]}")
    if args.seconds >= 300 and any(g > 0.10 for g in growth):
        problems.append("RSS (the lowest of a window) grew by more than 10% after the first minute")
    for problem in problems:
        print("PROBLEM: " + problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


asyncio.run(main())
