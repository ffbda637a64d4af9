"""memory-service export | forget | erasures export | erasures replay: GDPR requests, for operators."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from memory_service.cli.common import database, print_json_line
from memory_service.config import Settings
from memory_service.domain import ErasureReceipt
from memory_service.grpc_api import convert
from memory_service.service.privacy import PrivacyService


def register(commands: Any) -> list[argparse.ArgumentParser]:
    export = commands.add_parser(
        "export", help="everything held about a user, as JSON lines (the ExportUser records; see README)"
    )
    export.add_argument("user_id")
    export.set_defaults(operate=export_user)

    forget = commands.add_parser("forget", help="erase everything held about a user; prints the receipt")
    forget.add_argument("user_id")
    forget.set_defaults(operate=forget_user)

    erasures = commands.add_parser("erasures", help="the erasure ledger: keep it beside backups, replay it")
    actions = erasures.add_subparsers(dest="erasures_command", required=True)
    ledger = actions.add_parser("export", help="the ledger as JSON lines (hashes, times, counts; no content)")
    ledger.set_defaults(operate=export_ledger)
    replay = actions.add_parser("replay", help="erase again every user of this database that the ledger lists")
    replay.add_argument(
        "ledger", nargs="?", type=Path, help="a file from `erasures export` (default: this database's own ledger)"
    )
    replay.set_defaults(operate=replay_ledger)
    return [export, forget, ledger, replay]


def receipt_json(receipt: ErasureReceipt) -> dict[str, Any]:
    return json_format.MessageToDict(convert.erasure_receipt(receipt), preserving_proto_field_name=True)


async def export_user(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        records = PrivacyService(db, None, erasure_secret=settings.erasure_secret).export(args.user_id)
        async for record in records:
            message = convert.export_record(record)
            print_json_line(json_format.MessageToDict(message, preserving_proto_field_name=True))
    return 0


async def forget_user(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        receipt = await PrivacyService(db, None, erasure_secret=settings.erasure_secret).forget(args.user_id)
    print_json_line(receipt_json(receipt))
    return 0


async def export_ledger(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        for entry in await PrivacyService(db, None, erasure_secret=settings.erasure_secret).ledger():
            print_json_line(entry)
    return 0


async def replay_ledger(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        privacy = PrivacyService(db, None, erasure_secret=settings.erasure_secret)
        if args.ledger is not None:
            hashes = [json.loads(line)["subject_hash"] for line in args.ledger.read_text().splitlines() if line.strip()]
        else:
            hashes = [str(entry["subject_hash"]) for entry in await privacy.ledger()]
        receipts = await privacy.replay(hashes)
    for receipt in receipts:
        print_json_line(receipt_json(receipt))
    print(f"replayed {len(hashes)} ledger entries: {len(receipts)} user(s) erased again", file=sys.stderr)
    return 0
