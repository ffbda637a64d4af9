"""memory-service token create | list | revoke: access tokens, for operators."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from memory_service.cli.common import database, print_json_line
from memory_service.config import Settings
from memory_service.domain import AccessToken, TokenRole
from memory_service.errors import MemoryServiceError
from memory_service.service.tokens import TokenService


def register(commands: Any) -> list[argparse.ArgumentParser]:
    token = commands.add_parser("token", help="create, list and revoke access tokens (MEMORY_AUTH=required)")
    actions = token.add_subparsers(dest="token_command", required=True)
    create = actions.add_parser("create", help="create a token and print its secret, once")
    create.add_argument("--role", required=True, choices=[r.value for r in TokenRole])
    create.add_argument("--user-id", default="", help="for --role user: the one user the token reaches")
    create.add_argument("--name", default="", help="a unique name (generated when left out)")
    create.set_defaults(operate=create_token)
    listing = actions.add_parser("list", help="every token (never their secrets), as JSON lines")
    listing.set_defaults(operate=list_tokens)
    revoke = actions.add_parser("revoke", help="revoke a token by name; every replica refuses it within seconds")
    revoke.add_argument("name")
    revoke.set_defaults(operate=revoke_token)
    return [create, listing, revoke]


def summary(token: AccessToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "role": token.role.value,
        "user_id": token.user_id,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


async def create_token(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        try:
            token, secret = await TokenService(db).create(TokenRole(args.role), args.user_id, args.name)
        except MemoryServiceError as exc:
            print(f"memory-service: {exc.message}", file=sys.stderr)
            return 2
    print(f"token {token.name!r} ({token.role.value}) created; its secret is shown only now:", file=sys.stderr)
    print(secret)
    return 0


async def list_tokens(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        for token in await TokenService(db).list():
            print_json_line(summary(token))
    return 0


async def revoke_token(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        try:
            token = await TokenService(db).revoke(args.name)
        except MemoryServiceError as exc:
            print(f"memory-service: {exc.message}", file=sys.stderr)
            return 2
    print_json_line(summary(token))
    return 0
