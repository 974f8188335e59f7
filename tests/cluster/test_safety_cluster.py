"""Automated safety across nodes (PostgreSQL + Redis): a rule an admin adds through one node blocks
on the other at once; the repeated-message bucket and the human check's single use are shared."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import httpx

from causerie.services.humancheck import solve
from support.client import Client

from .conftest import Cluster

PASSWORD = "un mot de passe assez long"


def _admin(cluster: Cluster) -> None:
    env = {
        **os.environ,
        "CAUSERIE_CONFIG": str(cluster.folder / "none.toml"),
        "CAUSERIE_DATABASE_SCHEMA": cluster.schema,
        "CAUSERIE_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "causerie", "admin", "create-admin", "--email", "regles@example.org"]
    command += ["--nickname", "Regles", "--password", PASSWORD, "--database", cluster.database_url]
    made = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stdout + made.stderr


async def test_a_rule_added_on_one_node_blocks_on_the_other_and_buckets_are_shared(cluster: Cluster) -> None:
    rules = cluster.folder / "rules"  # one folder for both nodes (a shared volume in production)
    env = {
        "CAUSERIE_SAFETY_RULES_DIR": str(rules),
        "CAUSERIE_REPEAT_MESSAGE_MAX": "3",
        "CAUSERIE_HUMAN_CHECK_SECRET": "le même secret sur chaque nœud",
        "CAUSERIE_HUMAN_CHECK_DIFFICULTY": "6",
    }
    a_node, b_node = cluster.start_node(**env), cluster.start_node(**env)
    _admin(cluster)
    async with httpx.AsyncClient(base_url=a_node.base_url, timeout=10) as http:
        login = await http.post("/api/v1/session/login", json={"login": "Regles", "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["token"]

    user = await Client.enter(b_node.base_url)
    room = "tech"
    await user.join(room)
    word = f"vrombix{uuid.uuid4().hex[:6]}"
    assert (await user.say(room, f"du {word} pour tous"))["type"] == "ack"
    rule = f'[[rules]]\nid = "cluster.{word}"\ncategory = "spam"\naction = "block"\nterms = ["{word}"]\n'
    async with httpx.AsyncClient(base_url=a_node.base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        put = await http.put("/api/v1/admin/safety/rules/cluster.toml", json={"content": rule})
    assert put.status_code == 200, put.text
    for _ in range(50):  # the notice crosses Redis: at most a moment
        answer = await user.say(room, f"encore du {word} ?")
        if answer["type"] == "error":
            break
    assert answer["code"] == "message_blocked"

    # the repeated-message bucket is in Redis: two sends through each node, the fourth is refused
    other = await Client.enter(a_node.base_url, user.nick + "x")
    await other.join(room)
    text = f"Rejoignez mon serveur {uuid.uuid4().hex[:4]} maintenant"
    assert (await other.say(room, text))["type"] == "ack"
    assert (await other.say(room, text.upper()))["type"] == "ack"
    await other.close()
    other.base_url, other.ws_url = b_node.base_url, b_node.ws_url
    await other.connect()
    await other.join(room)
    assert (await other.say(room, text + " !!"))["type"] == "ack"
    refused = await other.say(room, text)
    assert refused["code"] == "repeated_message" and refused["retry_after"] > 0

    # a challenge issued by one node is checked by the other, and spent for both; the check is off
    # on these nodes, the emergency level demands it
    async with httpx.AsyncClient(base_url=a_node.base_url, headers={"Authorization": f"Bearer {token}"}) as admin:
        level = await admin.put("/api/v1/moderation/emergency", json={"level": 2, "reason": "raid"})
    assert level.status_code == 200, level.text
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(100):  # node b learns the level through Redis
            if (await http.get(f"{b_node.base_url}/api/v1/session/challenge")).json()["required"]:
                break
            await asyncio.sleep(0.1)
        issued = (await http.get(f"{a_node.base_url}/api/v1/session/challenge")).json()
        assert issued["required"]
        nonce = solve(issued["challenge"], issued["difficulty"])
        body = {"nickname": f"pow{uuid.uuid4().hex[:6]}", "age": 30, "gender": "f", "region": "75"}
        body |= {"accept_rules": True, "challenge": issued["challenge"], "nonce": nonce}
        first = await http.post(f"{b_node.base_url}/api/v1/session/guest", json=body)
        assert first.status_code == 201, first.text
        body["nickname"] = f"pow{uuid.uuid4().hex[:6]}"
        replay = await http.post(f"{a_node.base_url}/api/v1/session/guest", json=body)
        assert replay.status_code == 403 and replay.json()["error"]["code"] == "human_check_failed"
    await user.close()
    await other.close()
