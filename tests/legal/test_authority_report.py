"""Reports to the authorities (DSA art. 18; NCMEC CyberTipline and PHAROS fields), made from a case in
one action: every required field is present and filled from the case, it is stored and audited, it
is part of the evidence bundle (``report.json``), and it is refused for categories it is not for."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from causerie.domain.legal import ART18_REQUIRED, missing_fields
from causerie.errors import CauserieError, ErrorCode
from causerie.services.legal import ExportRequest
from legal.conftest import Make, World

# may be empty in this scenario: a guest has no email, no picture was quarantined, no action taken yet
NONE_YET = {"suspect.email", "files", "actions_taken"}


async def test_the_report_has_every_required_field(world: World) -> None:
    suspect, reporter = await world.guest(ip="192.0.2.44", port=51234), await world.guest()
    room = await world.room(reporter)
    ack = await world.say(suspect, room, "donne-moi ton adresse, tu as quel âge ?")
    _, case_id = await world.report(reporter, "minor_at_risk", message_id=ack.id)
    report = await world.legal.authority_report(world.admin, case_id)
    assert missing_fields(report) == []
    assert report["gaps"] == []  # contact and address configured
    for path in ART18_REQUIRED:  # and each one is filled, not just present
        node: Any = report
        for part in path.split("."):
            node = node[part]
        assert node not in (None, "", []) or path in NONE_YET, path
    assert report["suspect"]["screen_name"] == suspect.nickname
    assert report["suspect"]["ip_addresses"][0]["ip"] == "192.0.2.44"
    assert report["suspect"]["ip_addresses"][0]["port"] == 51234
    assert report["suspect"]["ip_addresses"][0]["date_time"].endswith("+00:00")
    assert [c["text"] for c in report["content"] if c["reported"]] == ["donne-moi ton adresse, tu as quel âge ?"]
    assert report["reporters"][0]["screen_name"] == reporter.nickname
    assert report["reporters"][0]["source"] == "user"
    assert report["platform"]["contact"]["email"] == "legal@causerie.example"
    assert report["authorities"] == ["ncmec", "pharos"]
    assert report["incident"]["ncmec_incident_type"] == "Online Enticement of Children for Sexual Acts"
    # stored, audited
    [stored] = await world.legal.authority_reports(world.admin, case_id)
    assert stored["id"] == report["id"] and stored["payload"]["suspect"]["account_id"] == suspect.id
    entries = [e for e in await world.s.audit.entries(0, 1000) if e.action == "authority_report"]
    assert [e.target for e in entries] == [f"case:{case_id}"]
    # part of the bundle format
    result = await world.legal.export(world.admin, ExportRequest("case", str(case_id), 0, 4e9, "PHAROS 42"))
    with zipfile.ZipFile(io.BytesIO(result.data)) as zf:
        bundled = json.loads(zf.read("report.json"))
    assert missing_fields(bundled) == []
    assert bundled["case"]["id"] == case_id


async def test_a_missing_field_is_caught_by_the_check(world: World) -> None:
    suspect, reporter = await world.guest(), await world.guest()
    room = await world.room(reporter)
    ack = await world.say(suspect, room, "je vais venir te trouver")
    _, case_id = await world.report(reporter, "violence_threat_ambush", message_id=ack.id)
    report = await world.legal.authority_report(world.admin, case_id)
    assert report["authorities"] == ["pharos"]
    del report["suspect"]["ip_addresses"]
    report["incident"]["date_time"] = None
    assert missing_fields(report) == ["incident.date_time", "suspect.ip_addresses"]


async def test_gaps_name_what_the_operator_has_not_configured(make: Make) -> None:
    w = await make(legal_contact_phone="", legal_platform_url="")
    suspect, reporter = await w.guest(), await w.guest()
    room = await w.room(reporter)
    ack = await w.say(suspect, room, "menace")
    _, case_id = await w.report(reporter, "violence_threat_ambush", message_id=ack.id)
    report = await w.legal.authority_report(w.admin, case_id)
    assert missing_fields(report) == []
    assert report["gaps"] == ["platform.contact.phone", "platform.url"]


async def test_only_for_child_abuse_or_threats_and_only_by_admins(world: World) -> None:
    suspect, reporter = await world.guest(), await world.guest()
    room = await world.room(reporter)
    ack = await world.say(suspect, room, "achetez mes cryptos")
    _, case_id = await world.report(reporter, "scam_spam", message_id=ack.id)
    with pytest.raises(CauserieError) as info:
        await world.legal.authority_report(world.admin, case_id)
    assert info.value.code is ErrorCode.BAD_REQUEST
    with pytest.raises(CauserieError) as info:
        await world.legal.authority_report(reporter, case_id)
    assert info.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(CauserieError) as info:
        await world.legal.authority_report(world.admin, 999_999)
    assert info.value.code is ErrorCode.CASE_NOT_FOUND
