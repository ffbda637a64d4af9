"""API keys stored in the database: encrypted with a key from the environment, or a reference to a variable.

A stored secret is one of
    {"encrypted": "<Fernet token>"}   sealed with MEMORY_SECRETS_KEY (a Fernet key)
    {"env": "OPENAI_API_KEY"}         read from that variable of each process's environment
so a database dump never holds a usable key. Values are never logged or returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

_REFERENCE = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")


class SecretError(ValueError):
    """A secret cannot be stored or read; the message says what to configure."""


class SecretBox:
    def __init__(self, key: str | None, environ: Mapping[str, str]) -> None:
        self._fernet: Fernet | None = None
        if key:
            try:
                self._fernet = Fernet(key.encode())
            except ValueError as exc:
                raise SecretError(
                    "MEMORY_SECRETS_KEY must be a Fernet key (32 url-safe base64 bytes; "
                    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
                ) from exc
        self._environ = environ

    def seal(self, value: str) -> dict[str, str]:
        """What to store for a secret given to UpdateSystemSettings: a reference "env:NAME", or the key itself."""
        reference = _REFERENCE.match(value)
        if reference:
            return {"env": reference.group(1)}
        if self._fernet is None:
            raise SecretError(
                "storing an API key in the database needs MEMORY_SECRETS_KEY on every process "
                "(or give a reference such as env:OPENAI_API_KEY instead of the key)"
            )
        return {"encrypted": self._fernet.encrypt(value.encode()).decode()}

    def open(self, stored: Any) -> str | None:
        """The secret a stored value stands for; None when it cannot be read here (logged by the caller)."""
        if not isinstance(stored, dict):
            return None
        if "env" in stored:
            return self._environ.get(str(stored["env"])) or None
        if "encrypted" in stored and self._fernet is not None:
            try:
                return self._fernet.decrypt(str(stored["encrypted"]).encode()).decode()
            except InvalidToken:
                return None
        return None
