"""The dashboard's users' passwords, kept only as scrypt hashes (the standard library's KDF):
"scrypt:N:r:p$salt$key", salt and key in base64.  Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1  # RFC 7914's interactive parameters: ~16 MB and ~50 ms a check
KEY_BYTES = 32


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The line for `[serve.users]`: a fresh random salt each time."""
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=KEY_BYTES)
    return f"scrypt:{N}:{R}:{P}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from, in constant time; False for a hash
    that is not one of ours (or has absurd parameters), never an exception."""
    try:
        head, salt_text, key_text = stored.split("$")
        name, n, r, p = head.split(":")
        if name != "scrypt" or not (2 <= int(n) <= 2**20 and 1 <= int(r) <= 32 and 1 <= int(p) <= 16):
            return False
        salt, key = base64.b64decode(salt_text, validate=True), base64.b64decode(key_text, validate=True)
        found = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(key), maxmem=2**26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, key)
