"""Bearer tokens with roles (viewer < operator < admin), kept in a TOML file under SEAWARDEN_HOME.

The file maps a person or system name to a token and a role::

    [tokens.alice]
    token = "…"          # at least 16 characters
    role = "operator"

Tokens are compared through their SHA-256 digests with ``hmac.compare_digest``, so a lookup
neither leaks timing about stored tokens nor keeps them in a dict keyed by the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

TOKENS_FILE = "tokens.toml"
MIN_TOKEN_LEN = 16


class Role(IntEnum):
    viewer = 1
    operator = 2
    admin = 3


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (the ``by`` of alert transitions) and role."""

    name: str
    role: Role


class TokenFileError(ValueError):
    """A tokens file that cannot be used; the message names the file and the entry."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenRegistry:
    def __init__(self, entries: dict[str, tuple[str, Role]] | None = None) -> None:
        """``entries``: name -> (token, role)."""
        self._by_digest: list[tuple[bytes, Principal]] = []
        self._tokens: dict[str, str] = {}
        for name, (token, role) in (entries or {}).items():
            self._by_digest.append((_digest(token), Principal(name, Role(role))))
            self._tokens[name] = token

    def __len__(self) -> int:
        return len(self._by_digest)

    def lookup(self, token: str | None) -> Principal | None:
        if not token:
            return None
        d = _digest(token)
        found = None
        for stored, principal in self._by_digest:  # constant work whatever matches
            if hmac.compare_digest(stored, d):
                found = principal
        return found

    def token_of(self, name: str) -> str:
        return self._tokens[name]

    def best_console_token(self) -> tuple[str, str] | None:
        """(name, token) of the most capable token below admin-only use: operator first, else admin, else viewer."""
        for role in (Role.operator, Role.admin, Role.viewer):
            for _, p in self._by_digest:
                if p.role == role:
                    return p.name, self._tokens[p.name]
        return None

    # -- files -----------------------------------------------------------------------------------
    @classmethod
    def read(cls, path: str | Path) -> "TokenRegistry":
        p = Path(path)
        try:
            doc = tomllib.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            raise TokenFileError(f"tokens file not found: {p}") from None
        except tomllib.TOMLDecodeError as exc:
            raise TokenFileError(f"{p}: invalid TOML ({exc})") from None
        table = doc.get("tokens")
        if not isinstance(table, dict) or not table:
            raise TokenFileError(f"{p}: no [tokens.NAME] entries (each with token = \"...\" and role = viewer|operator|admin)")
        entries: dict[str, tuple[str, Role]] = {}
        seen: set[str] = set()
        for name, e in table.items():
            where = f"{p}: [tokens.{name}]"
            if not isinstance(e, dict):
                raise TokenFileError(f"{where} must be a table with token and role")
            token, role = e.get("token"), e.get("role")
            if not isinstance(token, str) or len(token) < MIN_TOKEN_LEN:
                raise TokenFileError(f"{where}: token must be a string of at least {MIN_TOKEN_LEN} characters")
            if role not in Role.__members__:
                raise TokenFileError(f"{where}: role {role!r} is not one of {', '.join(Role.__members__)}")
            if token in seen:
                raise TokenFileError(f"{where}: the same token is used twice")
            seen.add(token)
            entries[str(name)] = (token, Role[role])
        return cls(entries)

    @classmethod
    def generate(cls, path: str | Path) -> "TokenRegistry":
        """Write a new file with random admin/operator/viewer tokens (mode 0600) and return it."""
        entries = {r.name: (secrets.token_urlsafe(24), r) for r in (Role.admin, Role.operator, Role.viewer)}
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        body = "# seawarden console tokens: name -> token + role (viewer < operator < admin). Keep this file private.\n"
        body += "".join(f'\n[tokens.{n}]\ntoken = "{t}"\nrole = "{r.name}"\n' for n, (t, r) in entries.items())
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        return cls(entries)

    @classmethod
    def load_or_create(cls, path: str | Path) -> tuple["TokenRegistry", bool]:
        """The registry at ``path``; created with random tokens when missing. Returns (registry, created)."""
        p = Path(path)
        if p.exists():
            return cls.read(p), False
        return cls.generate(p), True


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
