"""Rule packs edited by an administrator: list, read, replace, enable, disable — no restart.

May import: stdlib, ``causerie.safety``, ``causerie.domain``, ``causerie.broker.base``, ``causerie.config``,
``causerie.errors``, ``causerie.ids``, the other services.

The packaged packs (``safety/rules/``) are read-only; an administrator edits the files of the
operator folder (setting ``safety_rules_dir``), which are read after them and may extend, override
or switch off packaged rules (``docs/safety.md``). A new content is validated before it is written:
every rule file is compiled again with the candidate in place, and a refusal
(``rule_file_invalid``) names the file and the line. A disabled file is kept as
``<name>.disabled`` (the engine ignores it). Every change is audited (``safety.rules.*``) and
announced on the broker topic ``safety.rules``: every node reloads its engine (and a periodic
``reload_if_changed`` catches edits made to the folder by hand). The folder must be shared by the
nodes (or deployed to each) for their rules to agree.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path

from causerie.broker.base import Broker
from causerie.domain.audit import AuditDraft
from causerie.domain.entities import Account
from causerie.errors import CauserieError, ErrorCode
from causerie.safety import SafetyEngine
from causerie.safety.rules import DEFAULT_RULES_DIR, RuleError, load_ruleset
from causerie.services.audit import AuditService

RULES_TOPIC = "safety.rules"
DISABLED = ".disabled"
MAX_RULE_FILE_BYTES = 1_000_000
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}(?:\.(?:block|hold|flag|allow))?\.(?:toml|txt)$")
_LINE = re.compile(r"line (\d+)")
_QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True, slots=True)
class RulePack:
    name: str
    origin: str  # "packaged" (read-only) or "operator"
    enabled: bool
    size: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "origin": self.origin, "enabled": self.enabled, "size": self.size}


def bad_line(content: str, message: str) -> int | None:
    """The line a rule error is about: from the TOML parser, else the line naming the rule or list."""
    if found := _LINE.search(message):
        return int(found.group(1))
    if "end of document" in message:
        return max(1, len(content.splitlines()))
    for name in _QUOTED.findall(message):
        for number, line in enumerate(content.splitlines(), 1):
            if name in line:
                return number
    return None


class RuleAdmin:
    def __init__(self, engine: SafetyEngine, broker: Broker, audit: AuditService, folder: Path | None) -> None:
        self._engine = engine
        self._broker = broker
        self._audit = audit
        self.folder = folder
        self._origin = uuid.uuid4().hex
        broker.subscribe(RULES_TOPIC, self._on_changed)

    def _on_changed(self, data: bytes) -> None:
        if data.decode(errors="replace").split(":", 1)[0] == self._origin:
            return  # our own change: reloaded already
        self._reload()

    def _reload(self) -> None:
        try:
            self._engine.reload()
        except RuleError:  # a file edited by hand meanwhile: keep the rules in force
            self._engine.reload_if_changed()

    def _changed(self, name: str) -> None:
        """Reload here at once (the next message sees the change), then tell the other nodes."""
        self._reload()
        self._broker.publish(RULES_TOPIC, f"{self._origin}:{name}".encode())

    def _operator(self) -> Path:
        if self.folder is None:
            raise CauserieError(ErrorCode.BAD_REQUEST, "no operator rules folder: set safety_rules_dir")
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder

    @staticmethod
    def _check_name(name: str) -> None:
        if not _NAME.match(name):
            raise CauserieError(
                ErrorCode.BAD_REQUEST, "a rule file is named <name>.toml, <category>.<action>.txt or <name>.allow.txt"
            )

    def packs(self) -> list[RulePack]:
        out = [
            RulePack(p.name, "packaged", True, p.stat().st_size)
            for p in sorted(DEFAULT_RULES_DIR.iterdir())
            if p.suffix in (".toml", ".txt")
        ]
        if self.folder is not None and self.folder.is_dir():
            for p in sorted(self.folder.iterdir()):
                name = p.name.removesuffix(DISABLED)
                if p.is_file() and _NAME.match(name):
                    out.append(RulePack(name, "operator", not p.name.endswith(DISABLED), p.stat().st_size))
        return out

    def read(self, origin: str, name: str) -> str:
        self._check_name(name)
        if origin == "packaged":
            path = DEFAULT_RULES_DIR / name
        else:
            folder = self._operator()
            path = folder / name if (folder / name).is_file() else folder / (name + DISABLED)
        if not path.is_file():
            raise CauserieError(ErrorCode.NOT_FOUND)
        return path.read_text(encoding="utf-8")

    def validate(self, name: str, content: str) -> None:
        """Compile every rule file with ``content`` as ``name``; ``rule_file_invalid`` names the line."""
        self._check_name(name)
        if len(content.encode()) > MAX_RULE_FILE_BYTES:
            raise CauserieError(ErrorCode.RULE_FILE_INVALID, f"{name}: larger than {MAX_RULE_FILE_BYTES} bytes")
        if name.endswith(".toml"):
            try:
                tomllib.loads(content)
            except tomllib.TOMLDecodeError as exc:
                raise self._invalid(name, content, str(exc)) from None
        with tempfile.TemporaryDirectory(prefix="causerie-rules-") as tmp:
            candidate = Path(tmp)
            if self.folder is not None and self.folder.is_dir():
                for p in self.folder.iterdir():
                    if p.is_file() and p.suffix in (".toml", ".txt") and p.name != name:
                        shutil.copyfile(p, candidate / p.name)
            (candidate / name).write_text(content, encoding="utf-8")
            try:
                load_ruleset([DEFAULT_RULES_DIR, candidate])
            except RuleError as exc:
                raise self._invalid(name, content, str(exc)) from None
            except Exception as exc:  # a compile error the loader does not wrap (a bad regular expression)
                raise self._invalid(name, content, f"{type(exc).__name__}: {exc}") from None

    @staticmethod
    def _invalid(name: str, content: str, message: str) -> CauserieError:
        line = bad_line(content, message)
        where = f"{name}, line {line}" if line is not None else name
        return CauserieError(ErrorCode.RULE_FILE_INVALID, f"{where}: {message}"[:500], data={"line": line})

    async def replace(self, actor: Account, name: str, content: str, reason: str = "") -> RulePack:
        """Validate, write (atomically), audit, and have every node reload."""
        self.validate(name, content)
        folder = self._operator()
        disabled = folder / (name + DISABLED)
        target = disabled if disabled.is_file() and not (folder / name).is_file() else folder / name
        existed = target.is_file()
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, target)
        await self._audit.record(
            AuditDraft(
                action="safety.rules.replace" if existed else "safety.rules.create",
                target=f"rules:{name}",
                actor_id=int(actor.id),
                reason=reason[:1000],
                details={"bytes": len(content.encode()), "lines": content.count("\n") + 1},
            )
        )
        self._changed(name)
        return RulePack(name, "operator", target.name == name, target.stat().st_size)

    async def set_enabled(self, actor: Account, name: str, enabled: bool, reason: str = "") -> RulePack:
        self._check_name(name)
        folder = self._operator()
        on, off = folder / name, folder / (name + DISABLED)
        source, target = (off, on) if enabled else (on, off)
        if not source.is_file():
            if target.is_file():
                return RulePack(name, "operator", enabled, target.stat().st_size)
            raise CauserieError(ErrorCode.NOT_FOUND)
        if enabled:
            self.validate(name, source.read_text(encoding="utf-8"))
        os.replace(source, target)
        await self._audit.record(
            AuditDraft(
                action="safety.rules.enable" if enabled else "safety.rules.disable",
                target=f"rules:{name}",
                actor_id=int(actor.id),
                reason=reason[:1000],
            )
        )
        self._changed(name)
        return RulePack(name, "operator", enabled, target.stat().st_size)
