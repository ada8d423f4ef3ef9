"""Secrets at rest (an organisation's LLM API key): Fernet with a key derived from the app's signing secret,
so a database dump alone does not reveal them."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from pmdi.core.errors import PmdiError


class SecretUnreadable(PmdiError):
    status_code = 500
    default_detail = "A stored secret cannot be decrypted; was the signing secret changed? Set it again."


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"pmdi-secrets-at-rest:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, plain: str) -> str:
    return _fernet(secret_key).encrypt(plain.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc
