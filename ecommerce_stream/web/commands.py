"""`ecommerce-stream admin-token`: a new bearer token for a named admin, and the hash of it that
ADMIN_TOKEN_HASHES holds (the app never stores the token itself)."""

from __future__ import annotations

import secrets
import sys

from faust.cli import option

from ecommerce_stream.app import app
from ecommerce_stream.web.auth import token_hash

# 32 random bytes: 256 bits, far past any guessing, which is what makes a plain SHA-256 a sound
# hash of it (web/auth.py).
TOKEN_BYTES = 32
# A token given with --stdin shorter than this cannot hold 128 random bits in URL-safe text.
MIN_TOKEN_CHARS = 22


@app.command(
    option("--stdin", is_flag=True, help="Hash a token read from standard input instead."),
)
async def admin_token(self: object, stdin: bool) -> None:
    """Make an admin token; print it once, and its SHA-256 for ADMIN_TOKEN_HASHES."""
    if stdin:
        token = sys.stdin.readline().strip()
        if len(token) < MIN_TOKEN_CHARS:
            sys.exit(f"admin-token: a token needs {MIN_TOKEN_CHARS}+ random characters")
        print(token_hash(token.encode()))
        return
    token = secrets.token_urlsafe(TOKEN_BYTES)
    print(f"token:  {token}\n        give it to the admin; it is shown once and kept nowhere")
    print(f"sha256: {token_hash(token.encode())}\n        add it to the admin's ADMIN_TOKEN_HASHES")
