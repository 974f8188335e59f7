"""Several nodes behind no load balancer at all: clients pick a node; PostgreSQL and Redis are shared."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support.client import Client

from .conftest import Cluster, PrivateRedis, TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


async def test_clients_on_different_nodes_chat_and_see_each_other(cluster: Cluster) -> None:
    a_node, b_node = cluster.start_node(), cluster.start_node()
    alice = await Client.enter(a_node.base_url)
    bruno = await Client.enter(b_node.base_url)
    await alice.join("musique")
    joined = await bruno.join("musique")
    assert {m["nick"] for m in joined["members"]} >= {alice.nick, bruno.nick}  # presence crosses nodes
    await alice.expect("presence", action="join")  # bruno's arrival, announced from node b

    ack = await alice.say("musique", f"bonjour @{bruno.nick}")
    assert ack["type"] == "ack"
    got = await bruno.expect("message", seq=ack["seq"])
    assert got["author"]["nick"] == alice.nick
    await bruno.expect("mention")
    reply = await bruno.say("musique", "salut !")
    await alice.expect("message", seq=reply["seq"])

    # a private message crosses nodes too; so does a session: bruno's token works on node a
    await alice.dm(bruno.nick, "psst")
    await bruno.expect("dm_request")
    await bruno.expect("message", text="psst")
    async with httpx.AsyncClient(base_url=a_node.base_url) as http:
        who = await http.get("/api/v1/session", headers={"Authorization": f"Bearer {bruno.token}"})
    assert who.status_code == 200 and who.json()["me"]["nick"] == bruno.nick

    # member counts are cluster-wide
    async with httpx.AsyncClient(base_url=b_node.base_url) as http:
        rooms = await http.get("/api/v1/rooms", headers={"Authorization": f"Bearer {bruno.token}"})
    counts = {r["slug"]: r.get("members", 0) for r in rooms.json()["rooms"]}
    assert counts["musique"] == 2
    await alice.close()
    await bruno.close()


async def test_rate_limit_is_shared_across_nodes(cluster: Cluster) -> None:
    env = {"CAUSERIE_RATE_MESSAGE_BURST": "6", "CAUSERIE_RATE_MESSAGE_PER_SECOND": "0.001"}
    a_node, b_node = cluster.start_node(**env), cluster.start_node(**env)
    on_a = await Client.enter(a_node.base_url)
    on_b = Client(b_node.base_url, on_a.token, on_a.me)  # the same account, connected to node b
    await on_b.connect()
    await on_a.join("sport")
    await on_b.join("sport")
    replies = []
    for i in range(8):
        replies.append(await on_a.say("sport", f"a{i}"))
        replies.append(await on_b.say("sport", f"b{i}"))
    acks = [r for r in replies if r["type"] == "ack"]
    refused = [r for r in replies if r["type"] == "error"]
    assert len(acks) == 6, "one budget for the account, whatever the node"
    assert all(r["code"] == "rate_limited" and r["retry_after"] > 0 for r in refused)
    await on_a.close()
    await on_b.close()


async def _stream(sender: Client, room: str, count: int, acked: dict[str, int], stop: asyncio.Event) -> None:
    """Send ``count`` messages; resend unacknowledged ones after a reconnect; record acks."""
    pending = [f"{sender.nick}-{i}" for i in range(count)]
    while pending:
        cid = pending[0]
        try:
            reply = await sender.say(room, cid, client_id=cid)
        except Exception:  # the node died under us: reconnect elsewhere, resend the same client_id
            await asyncio.sleep(0.2)
            continue
        if reply["type"] == "ack":
            acked[cid] = reply["seq"]
            pending.pop(0)
        else:
            await asyncio.sleep(float(reply.get("retry_after") or 0.05))
    stop.set()


async def test_a_node_killed_mid_stream_loses_no_acknowledged_message(cluster: Cluster) -> None:
    nodes = [cluster.start_node(), cluster.start_node(), cluster.start_node()]
    room = "discussions-generales"
    watcher = await Client.enter(nodes[0].base_url)
    await watcher.join(room)
    sender = await Client.enter(nodes[2].base_url)
    await sender.join(room)
    acked: dict[str, int] = {}
    done = asyncio.Event()

    async def failover() -> None:
        # once some messages flowed, SIGKILL the sender's node; the sender moves to node 1
        while len(acked) < 15:
            await asyncio.sleep(0.01)
        nodes[2].kill()
        await sender.close()
        sender.base_url = nodes[1].base_url
        sender.ws_url = nodes[1].ws_url
        await sender.connect()
        await sender.join(room, since=max(acked.values()))

    await asyncio.wait_for(asyncio.gather(_stream(sender, room, 60, acked, done), failover()), 60)

    # the watcher, on a surviving node, received every acknowledged message exactly once, in order
    expected = sorted(acked.values())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while loop.time() < deadline:
        seen = [e["seq"] for e in watcher.events if e.get("type") == "message" and e.get("room") == room]
        if set(expected) <= set(seen):
            break
        with contextlib.suppress(TimeoutError):
            await watcher._read(0.5)
    seen = [e["seq"] for e in watcher.events if e.get("type") == "message" and e.get("room") == room]
    assert set(expected) <= set(seen), f"missing {sorted(set(expected) - set(seen))[:10]}"
    assert len(seen) == len(set(seen)), "no duplicate"
    assert seen == sorted(seen), "in order"
    # the database holds each client_id once, with seqs 1..n and no gap
    async with httpx.AsyncClient(base_url=nodes[0].base_url) as http:
        page = await http.get(
            f"/api/v1/rooms/{room}/messages",
            params={"limit": 1000},
            headers={"Authorization": f"Bearer {watcher.token}"},
        )
    stored = page.json()["messages"]
    texts = [m["text"] for m in stored]
    assert sorted(texts) == sorted(acked), "every acked client_id stored exactly once"
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
    await watcher.close()
    await sender.close()


async def test_nodes_fill_gaps_from_the_database_when_redis_restarts(
    tmp_path: Path, pg_schema: str, private_redis: PrivateRedis
) -> None:
    cluster = Cluster(tmp_path, pg_schema, private_redis.url)
    try:
        a_node, b_node = cluster.start_node(), cluster.start_node()
        room = "cuisine"
        listener = await Client.enter(b_node.base_url)
        await listener.join(room)
        talker = await Client.enter(a_node.base_url)
        await talker.join(room)
        seqs = []
        for i in range(20):
            if i == 7:
                private_redis.stop()  # redis vanishes mid-stream: node a keeps storing
            if i == 13:
                private_redis.start()  # and comes back: nodes reconnect by themselves
            ack = await talker.say(room, f"m{i}")
            assert ack["type"] == "ack"
            seqs.append(ack["seq"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline:
            got = [e["seq"] for e in listener.events if e.get("type") == "message" and e.get("room") == room]
            if set(seqs) <= set(got):
                break
            with contextlib.suppress(TimeoutError):
                await listener._read(0.5)
        got = [e["seq"] for e in listener.events if e.get("type") == "message" and e.get("room") == room]
        assert got == seqs, "every message, once, in order, despite the broker outage"
        await listener.close()
        await talker.close()
    finally:
        cluster.stop()


async def test_postgres_outage_gives_retryable_errors_then_recovers(tmp_path: Path, pg_schema: str) -> None:
    proxy = TcpProxy()
    await proxy.start()
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/test"
    cluster = Cluster(tmp_path, pg_schema, "redis://127.0.0.1:6379/0", database_url=url)
    try:
        node = await asyncio.to_thread(cluster.start_node)
        user = await Client.enter(node.base_url)
        await user.join("voyages")
        before = await user.say("voyages", "avant")
        assert before["type"] == "ack"
        await proxy.cut()
        during = await user.say("voyages", "pendant", client_id="during-1")
        assert during["type"] == "error" and during["code"] == "service_unavailable"
        async with httpx.AsyncClient(base_url=node.base_url) as http:
            assert (await http.get("/readyz")).status_code == 503
        await proxy.restore()
        for _ in range(50):
            retry = await user.say("voyages", "pendant", client_id="during-1")
            if retry["type"] == "ack":
                break
            await asyncio.sleep(0.2)
        assert retry["type"] == "ack" and retry["seq"] == before["seq"] + 1
        async with httpx.AsyncClient(base_url=node.base_url) as http:
            assert (await http.get("/readyz")).status_code == 200
        await user.close()
    finally:
        cluster.stop()
        await proxy.cut()


def test_readyz_reports_an_unreachable_redis(tmp_path: Path, pg_schema: str, private_redis: PrivateRedis) -> None:
    cluster = Cluster(tmp_path, pg_schema, private_redis.url)
    try:
        node = cluster.start_node()
        assert httpx.get(f"{node.base_url}/readyz").status_code == 200
        private_redis.stop()
        status = [httpx.get(f"{node.base_url}/readyz").json() for _ in range(3)]
        assert status[-1]["broker"] is False
        assert httpx.get(f"{node.base_url}/readyz").status_code == 503
    finally:
        cluster.stop()


async def test_moderation_takes_effect_on_every_node(cluster: Cluster) -> None:
    """A removal and a ban decided through node a reach the clients connected to node b."""
    a_node, b_node = cluster.start_node(), cluster.start_node()
    env = {
        **os.environ,
        "CAUSERIE_CONFIG": str(cluster.folder / "none.toml"),
        "CAUSERIE_DATABASE_SCHEMA": cluster.schema,
        "CAUSERIE_LOG_LEVEL": "warning",
    }
    password = "un mot de passe assez long"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "causerie",
            "admin",
            "create-admin",
            "--email",
            "chef@example.org",
            "--nickname",
            "Cheffe",
            "--password",
            password,
            "--database",
            cluster.database_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    async with httpx.AsyncClient(base_url=a_node.base_url) as http:
        login = await http.post("/api/v1/session/login", json={"login": "Cheffe", "password": password})
    assert login.status_code == 200, login.text
    admin_token = login.json()["token"]

    troll = await Client.enter(b_node.base_url)
    witness = await Client.enter(b_node.base_url)
    room = "politique-actualite"
    await troll.join(room)
    await witness.join(room)
    bad = await troll.say(room, "un message à retirer")
    await witness.expect("message", seq=bad["seq"])

    async with httpx.AsyncClient(base_url=a_node.base_url, headers={"Authorization": f"Bearer {admin_token}"}) as http:
        removed = await http.post(
            "/api/v1/moderation/actions",
            json={"kind": "remove_message", "reason": "hors charte", "message_ids": [bad["id"]]},
        )
        assert removed.status_code == 201, removed.text
        gone = await witness.expect("removed", timeout=3)  # decided on node a, seen on node b
        assert gone["id"] == bad["id"]
        banned = await http.post(
            "/api/v1/moderation/actions",
            json={"kind": "ban", "reason": "récidive", "user": troll.nick, "duration_seconds": 3600},
        )
        assert banned.status_code == 201, banned.text
    assert troll.ws is not None
    await asyncio.wait_for(troll.ws.wait_closed(), 3)
    assert troll.ws.close_code == 4003  # banned: the socket on node b is closed within a second or so
    await witness.close()
