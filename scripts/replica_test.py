"""A primary, a streaming replica and two app servers, for real (scripts/replica-test runs this).

    scripts/replica-test [--articles 400] [--kill-import 1200] [--keep]

With Debian's PostgreSQL (`pg_createcluster` on free ports, `pg_basebackup -R`, started with
`pg_ctlcluster --skip-systemctl-redirect`), it:

1. creates a primary cluster and a streaming replica of it, a role and a database;
2. runs the migrations on the primary;
3. starts two `newsarchive serve` processes on 127.0.0.1 (NEWSARCHIVE_DATABASE_URL: the
   primary; NEWSARCHIVE_READ_DATABASE_URL: the replica);
4. writes through both at once (a bulk request to each, plus one single POST each), waits for
   the replica to replay, and checks that every article is found through both;
5. pauses replay on the replica and writes once more: searches (served by the replica) do not
   see the new article yet, the write's own answer and a read by id (read-your-writes, from
   the primary) do, and /api/v1/health shows the lag; after resuming, searches find it;
6. kills one app server with SIGKILL in the middle of a bulk import, sends the same lines to
   the other, and checks that nothing is lost or duplicated (the re-run adds exactly what the
   killed one had not stored);
7. tears everything down (both clusters dropped), also after a failure (unless --keep).

Exit status: 0 when every check passed, 1 when one failed, 2 when it cannot run here (not
root, no PostgreSQL server tools): the reason is printed. Needs root (CI runs as root): the
clusters belong to the `postgres` user, whose tools run through `runuser`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_PREFIX = "na_replica_test_"
STARTED = time.monotonic()


class CannotRun(RuntimeError):
    """This machine cannot run the test (exit status 2)."""


class CheckFailed(AssertionError):
    """A check failed (exit status 1)."""


def say(message: str) -> None:
    print(f"replica-test [{time.monotonic() - STARTED:5.1f} s] {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    say(f"ok: {message}")


def run(*args: str, quiet: bool = False) -> str:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    if not quiet and done.stderr.strip():
        say(done.stderr.strip().splitlines()[-1])
    return done.stdout


def as_postgres(*args: str) -> str:
    return run("runuser", "-u", "postgres", "--", *args)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_version() -> str:
    if os.geteuid() != 0:
        raise CannotRun("needs root (pg_createcluster, and runuser to act as postgres)")
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "runuser"):
        if shutil.which(tool) is None:
            raise CannotRun(f"{tool} not found (apt-get install postgresql)")
    versions = sorted(
        (p.name for p in Path("/usr/lib/postgresql").glob("*") if (p / "bin/postgres").exists()),
        key=float,
    )
    if not versions:
        raise CannotRun("no PostgreSQL server under /usr/lib/postgresql")
    return versions[-1]


# -- clusters ----------------------------------------------------------------------------------


class Clusters:
    """A primary and its streaming replica, named after this process so runs never collide."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.primary = f"{CLUSTER_PREFIX}{os.getpid()}_primary"
        self.replica = f"{CLUSTER_PREFIX}{os.getpid()}_replica"
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.password = secrets.token_hex(12)
        self.created: list[str] = []

    def url(self, port: int) -> str:
        return f"postgresql+psycopg://na_rt:{self.password}@127.0.0.1:{port}/na_rt"

    def psql(self, port: int, sql: str, db: str = "postgres") -> str:
        return as_postgres(
            "psql", "-p", str(port), "-d", db, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql
        ).strip()

    def create(self) -> None:
        # listen_addresses stays Debian's 'localhost': nothing beyond this machine.
        settings = [
            "shared_buffers=32MB",
            "max_connections=40",
            # A throwaway cluster: durability buys nothing here, and fsync costs seconds.
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
        ]
        options = [arg for s in settings for arg in ("-o", s)]
        say(f"creating primary {self.primary} on port {self.primary_port}")
        self.created.append(self.primary)  # first: a cluster that fails to start has files
        run(
            "pg_createcluster",
            self.version,
            self.primary,
            "-p",
            str(self.primary_port),
            *options,
            "--start",
        )
        self.psql(self.primary_port, f"CREATE ROLE na_rt LOGIN PASSWORD '{self.password}'")
        self.psql(self.primary_port, "CREATE DATABASE na_rt OWNER na_rt")
        say(f"creating replica {self.replica} on port {self.replica_port} (pg_basebackup -R)")
        self.created.append(self.replica)
        run("pg_createcluster", self.version, self.replica, "-p", str(self.replica_port), *options)
        data = Path(f"/var/lib/postgresql/{self.version}/{self.replica}")
        shutil.rmtree(data)
        # Over the primary's Unix socket as postgres: Debian's pg_hba allows local replication.
        as_postgres(
            "pg_basebackup",
            "-h",
            "/var/run/postgresql",
            "-p",
            str(self.primary_port),
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.replica, "start")
        check(
            self.psql(self.replica_port, "SELECT pg_is_in_recovery()") == "t",
            "the replica is in recovery (a standby)",
        )
        check(
            self.psql(self.primary_port, "SELECT count(*) FROM pg_stat_replication") == "1",
            "the primary streams to one replica",
        )

    def drop(self) -> None:
        for name in reversed(self.created):
            subprocess.run(
                ["pg_dropcluster", "--stop", self.version, name], capture_output=True, text=True
            )
        say(f"dropped clusters {', '.join(self.created) or '(none)'}")
        self.created.clear()


def drop_leftovers(version: str) -> None:
    """Clusters of earlier runs whose process died without tearing down (kill -9, power)."""
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0] != version or not fields[1].startswith(CLUSTER_PREFIX):
            continue
        pid = fields[1][len(CLUSTER_PREFIX) :].split("_")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            say(f"dropping {fields[1]}, left over by process {pid}")
            subprocess.run(["pg_dropcluster", "--stop", version, fields[1]], capture_output=True)


# -- app servers -------------------------------------------------------------------------------


class AppServer:
    """One `newsarchive serve` process on its own port and data folder (only its logs)."""

    def __init__(self, name: str, env: dict[str, str], work: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data = work / name
        data.mkdir()
        self.log = (work / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/newsarchive"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env={**env, "NEWSARCHIVE_DATA_DIR": str(data)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CheckFailed(f"{self.name} exited with {self.process.returncode}")
            try:
                get_json(f"{self.base}/api/v1/health")
                say(f"{self.name} answers on {self.base}")
                return
            except OSError:
                time.sleep(0.3)
        raise CheckFailed(f"{self.name} did not answer within {timeout:.0f} s")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def post_json(url: str, body: dict[str, Any], token: str) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)


def bulk_lines(server: AppServer, lines: list[bytes], token: str) -> Iterator[dict[str, Any]]:
    """POST /api/v1/articles/bulk; yields each result line as the server streams it."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request(
            "POST",
            "/api/v1/articles/bulk",
            body=b"".join(line + b"\n" for line in lines),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
        )
        response = conn.getresponse()
        if response.status != 200:
            raise CheckFailed(f"bulk on {server.name}: {response.status} {response.read()!r}")
        while raw := response.readline():
            yield json.loads(raw)
    finally:
        conn.close()


def article(run: str, number: int) -> dict[str, Any]:
    """A short article with a word of its own (`<run>w<number>`) and its run's marker word."""
    return {
        "date": f"20{number % 20 + 5:02d}-0{number % 9 + 1}-1{number % 9}",
        "title": f"Dispatch {number} of run {run}",
        "body": f"Grain and shipping news, item {number}: the marker {run} and the word "
        f"{run}w{number} appear here. Ports reopened and wheat prices moved.",
        "source": ["Wire A", "Wire B", "Wire C"][number % 3],
        "url": f"https://replica-test.example/{run}/{number}",
    }


def search_ids(server: AppServer, query: str) -> tuple[int, set[int]]:
    """(total, every id) of a search, paging through all of it."""
    ids: set[int] = set()
    page = 1
    while True:
        q = urllib.parse.urlencode({"q": query, "page": page, "page_size": 200, "sort": "newest"})
        data = get_json(f"{server.base}/api/v1/search?{q}")
        ids.update(int(r["id"]) for r in data["results"])
        if page * 200 >= data["total"]:
            return int(data["total"]), ids
        page += 1


def wait_replayed(servers: list[AppServer], timeout: float = 60) -> None:
    """Until every server's health says the replica has replayed all the primary wrote."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [get_json(f"{s.base}/api/v1/health") for s in servers]
        if all(
            h["replica"]["reachable"] and h["replica"]["lag_bytes"] == 0 and h["in_sync"]
            for h in states
        ):
            return
        time.sleep(0.2)
    raise CheckFailed(f"the replica did not catch up within {timeout:.0f} s: {states}")


# -- the scenario ------------------------------------------------------------------------------


def scenario(clusters: Clusters, work: Path, articles: int, kill_import: int) -> None:
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "NEWSARCHIVE_DATABASE_URL": clusters.url(clusters.primary_port),
        "NEWSARCHIVE_READ_DATABASE_URL": clusters.url(clusters.replica_port),
        "NEWSARCHIVE_SEARCH_BACKEND": "postgres",
        "NEWSARCHIVE_API_TOKEN": token,
        "NEWSARCHIVE_RATE_LIMIT_WRITES": "0",
        "NEWSARCHIVE_RATE_LIMIT_SEARCHES": "0",
        "NEWSARCHIVE_BULK_BATCH_SIZE": "100",
    }
    env.pop("NEWSARCHIVE_DATA_DIR", None)
    subprocess.run(
        [str(ROOT / ".venv/bin/newsarchive"), "--data-dir", str(work / "migrate"), "migrate"],
        env=env,
        check=True,
        capture_output=True,
    )
    say("migrations ran on the primary")
    servers = [AppServer("app1", env, work), AppServer("app2", env, work)]
    try:
        for s in servers:
            s.wait_ready()
        concurrent_writes(servers, token, articles)
        read_your_writes(clusters, servers, token)
        kill_mid_import(clusters, servers, token, kill_import)
    finally:
        for s in servers:
            s.stop()


def concurrent_writes(servers: list[AppServer], token: str, articles: int) -> None:
    """Bulk through both servers at once, then every article found through both."""
    results: dict[str, list[dict[str, Any]]] = {}

    def send(server: AppServer) -> None:
        lines = [json.dumps(article(server.name, n)).encode() for n in range(articles)]
        results[server.name] = list(bulk_lines(server, lines, token))

    threads = [threading.Thread(target=send, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written: set[int] = set()
    for s in servers:
        summary = results[s.name][-1]["summary"]
        check(
            summary["added"] == articles and summary["error"] == 0,
            f"{s.name} stored {summary['added']} of {articles} bulk lines",
        )
        written.update(r["id"] for r in results[s.name] if r.get("status") == "added")
        one = post_json(f"{s.base}/api/v1/articles", article(s.name, articles), token)
        written.add(int(one["id"]))
    check(len(written) == 2 * (articles + 1), f"{len(written)} distinct ids written")
    wait_replayed(servers)
    for s in servers:
        found: set[int] = set()
        for other in servers:
            total, ids = search_ids(s, other.name)
            check(total == articles + 1, f"{s.name} finds {total} articles of {other.name}")
            found |= ids
        check(found == written, f"every article written is found through {s.name}")
        for n in (0, articles // 2, articles):
            total, _ = search_ids(s, f"{servers[n % 2].name}w{n}")
            check(total == 1, f"{s.name} finds the word {servers[n % 2].name}w{n} once")
        health = get_json(f"{s.base}/api/v1/health")
        check(
            health["status"] == "ok" and health["replica"]["streaming"] is True,
            f"{s.name} health: ok, replica streaming, lag {health['replica']['lag_bytes']} B",
        )


def read_your_writes(clusters: Clusters, servers: list[AppServer], token: str) -> None:
    """Replay paused: searches (on the replica) miss a new article, reads by id and the
    write's own answer (on the primary) have it, health shows the lag; resumed: all agree."""
    first, second = servers
    clusters.psql(clusters.replica_port, "SELECT pg_wal_replay_pause()")
    try:
        new = post_json(f"{first.base}/api/v1/articles", article("paused", 1), token)
        check(new["title"] == "Dispatch 1 of run paused", "the write's answer has the article")
        for s in servers:
            total, _ = search_ids(s, "pausedw1")
            check(total == 0, f"{s.name} searches the replica: the paused article is not found")
            got = get_json(f"{s.base}/api/v1/articles/{new['id']}")
            check(got["id"] == new["id"], f"{s.name} reads it by id from the primary")
        time.sleep(0.5)
        health = get_json(f"{second.base}/api/v1/health")
        check(
            health["replica"]["lag_bytes"] > 0 and health["in_sync"] is False,
            f"health shows the lag ({health['replica']['lag_bytes']} B, "
            f"{health['replica']['lag_seconds']} s)",
        )
    finally:
        clusters.psql(clusters.replica_port, "SELECT pg_wal_replay_resume()")
    wait_replayed(servers)
    for s in servers:
        check(search_ids(s, "pausedw1")[0] == 1, f"{s.name} finds it once replay resumed")


def kill_mid_import(clusters: Clusters, servers: list[AppServer], token: str, count: int) -> None:
    """SIGKILL one server mid-import; the same lines through the other add exactly the rest."""
    victim, survivor = servers
    lines = [json.dumps(article("killed", n)).encode() for n in range(count)]
    for seen, _ in enumerate(bulk_lines(victim, lines, token), start=1):
        if seen >= 150:  # at least one batch of 100 stored, more in flight
            victim.kill()
            break
    check(victim.process.poll() is not None, f"{victim.name} killed (kill -9) mid-import")
    stored = int(
        clusters.psql(
            clusters.primary_port,
            "SELECT count(*) FROM articles WHERE url LIKE 'https://replica-test.example/killed/%'",
            db="na_rt",
        )
    )
    check(0 < stored < count, f"{stored} of {count} stored before the kill")
    results = list(bulk_lines(survivor, lines, token))
    summary = results[-1]["summary"]
    check(
        summary["added"] == count - stored and summary["duplicate"] == stored,
        f"the re-run through {survivor.name} added {summary['added']}, "
        f"{summary['duplicate']} duplicates",
    )
    rows = clusters.psql(
        clusters.primary_port,
        "SELECT count(*), count(DISTINCT url), count(DISTINCT content_hash) FROM articles "
        "WHERE url LIKE 'https://replica-test.example/killed/%'",
        db="na_rt",
    )
    check(rows == f"{count}|{count}|{count}", f"exactly {count} articles, none twice ({rows})")
    wait_replayed([survivor])
    total, _ = search_ids(survivor, "killed")
    check(total == count, f"{survivor.name} finds all {count} through the replica")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="bulk lines per server")
    parser.add_argument("--kill-import", type=int, default=1000, help="lines of the killed run")
    parser.add_argument("--keep", action="store_true", help="leave clusters and logs behind")
    args = parser.parse_args(argv)
    try:
        version = server_version()
    except CannotRun as exc:
        print(f"replica-test: cannot run here: {exc}", file=sys.stderr)
        return 2
    drop_leftovers(version)
    clusters = Clusters(version)
    work = Path(tempfile.mkdtemp(prefix="newsarchive-replica-"))
    failed = True
    try:
        clusters.create()
        scenario(clusters, work, args.articles, args.kill_import)
        failed = False
    except CheckFailed as exc:
        say(f"FAILED: {exc}")
    except Exception as exc:
        say(f"FAILED: {exc.__class__.__name__}: {exc}")
    finally:
        if failed:
            for log in sorted(work.glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-15:]
                say(f"last lines of {log.name}:\n  " + "\n  ".join(tail))
        if args.keep:
            say(f"kept: clusters {clusters.created}, folder {work}")
        else:
            clusters.drop()
            shutil.rmtree(work, ignore_errors=True)
    say("FAILED" if failed else "passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
