"""Durable messages per second with 1, 2 and 3 nodes on PostgreSQL + Redis (loopback only).

    .venv/bin/python bench/cluster_throughput.py --nodes 1 2 3 --clients 60 --messages 200

For each node count: start the nodes (a fresh PostgreSQL schema, a unique Redis prefix), spread the
clients over them round-robin, spread the clients over 10 rooms, and have every client send its
messages with up to ``--window`` unacknowledged at a time. Reports acknowledged messages per second
(each one committed to PostgreSQL before its ack) and the ack latency p50/p99. Bounded in count;
stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
import websockets
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.server import LiveServer

PG = os.environ.get("CAUSERIE_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("CAUSERIE_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOMS = ["accueil", "amitie", "musique", "sport", "cuisine", "voyages", "livres", "tech", "jeux-video", "normandie"]


async def client(base: str, index: int, messages: int, window: int, latencies: list[float]) -> int:
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.post(
            "/api/v1/session/guest",
            json={
                "nickname": f"b{uuid.uuid4().hex[:10]}",
                "age": 30,
                "gender": "x",
                "region": "75",
                "accept_rules": True,
            },
        )
        token = r.json()["token"]
    room = ROOMS[index % len(ROOMS)]
    acked = 0
    async with websockets.connect(base.replace("http", "ws") + "/ws", max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token}))
        await ws.send(json.dumps({"type": "join", "room": room}))
        sent_at: dict[str, float] = {}
        next_id = 0
        while acked < messages:
            while next_id < messages and len(sent_at) < window:
                cid = f"m{next_id}"
                sent_at[cid] = time.perf_counter()
                await ws.send(json.dumps({"type": "send", "room": room, "text": "x" * 40, "client_id": cid}))
                next_id += 1
            raw = await asyncio.wait_for(ws.recv(), 30)
            for line in str(raw).split("\n"):
                if '"type":"ack"' in line:
                    ref = json.loads(line)["ref"]
                    latencies.append(time.perf_counter() - sent_at.pop(ref))
                    acked += 1
                elif '"type":"error"' in line:
                    raise RuntimeError(line)
    return acked


async def run(nodes: int, clients: int, messages: int, window: int) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(PG)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    folder = Path(tempfile.mkdtemp(prefix="causerie-cluster-bench-"))
    env = {
        "CAUSERIE_REDIS_URL": REDIS,
        "CAUSERIE_REDIS_PREFIX": schema,
        "CAUSERIE_DATABASE_SCHEMA": schema,
        "CAUSERIE_RATE_MESSAGE_BURST": "1000000",
        "CAUSERIE_RATE_MESSAGE_PER_SECOND": "1000000",
        "CAUSERIE_WS_FRAME_BURST": "1000000",
        "CAUSERIE_WS_FRAMES_PER_SECOND": "1000000",
        "CAUSERIE_LOG_LEVEL": "warning",
    }
    servers = []
    try:
        for n in range(nodes):
            (folder / str(n)).mkdir()
            server = LiveServer(folder / str(n), env=env, database_url=PG.replace("+asyncpg", ""))
            await asyncio.to_thread(server.start)
            servers.append(server)
        latencies: list[float] = []
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(client(servers[i % nodes].base_url, i, messages, window, latencies) for i in range(clients))
        )
        elapsed = time.perf_counter() - started
    finally:
        for server in servers:
            await asyncio.to_thread(server.stop)
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
    latencies.sort()
    return {
        "nodes": nodes,
        "acked": sum(counts),
        "seconds": round(elapsed, 2),
        "msgs_per_s": round(sum(counts) / elapsed),
        "ack_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "ack_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--messages", type=int, default=200, help="per client")
    parser.add_argument("--window", type=int, default=8, help="unacknowledged messages per client")
    args = parser.parse_args()
    print("| nodes | acked | seconds | messages/s | ack p50 (ms) | ack p99 (ms) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in args.nodes:
        r = asyncio.run(run(n, args.clients, args.messages, args.window))
        print(
            f"| {r['nodes']} | {r['acked']} | {r['seconds']} | {r['msgs_per_s']} | {r['ack_p50_ms']} | {r['ack_p99_ms']} |"
        )


if __name__ == "__main__":
    main()
