"""Through the gateway against a service that requires tokens: a user's token reaches only that user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voxbridge.memory.gateway import GatewaySettings

from memory_service.domain import TokenRole
from memory_service.service.tokens import TokenService
from tests.support.gateway import serving_gateway
from tests.support.harness import make_settings, running_service


async def test_a_user_token_sees_its_user_only_and_no_token_sees_nothing(
    database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    settings = make_settings(database_url, tmp_path, MEMORY_AUTH="required")
    async with running_service(settings, sentence_model) as service:
        tokens = TokenService(service.core.db)
        _, alice = await tokens.create(TokenRole.USER, "alice", "alice-web")
        _, bot = await tokens.create(TokenRole.SERVICE, "", "the-bot")
        async with serving_gateway(GatewaySettings(target=service.address)) as gateway:
            as_alice = {"Authorization": f"Bearer {alice}"}
            as_bot = {"Authorization": f"Bearer {bot}"}

            mine = await gateway.http.post(
                gateway.user("alice", "facts"), json={"text": "I like tea"}, headers=as_alice
            )
            assert mine.status_code == 201
            listed = await gateway.http.get(gateway.user("alice", "facts"), headers=as_alice)
            assert [f["text"] for f in listed.json()["facts"]] == ["I like tea"]

            bobs = await gateway.http.post(gateway.user("bob", "facts"), json={"text": "I like coffee"}, headers=as_bot)
            assert bobs.status_code == 201  # a service token reaches every user
            for method, path in [("GET", "facts"), ("GET", "settings"), ("GET", "export")]:
                refused = await gateway.http.request(method, gateway.user("bob", path), headers=as_alice)
                assert refused.status_code == 403, (path, refused.text)
                assert refused.json()["error"]["reason"] == "PERMISSION_DENIED"

            anonymous = await gateway.http.get(gateway.user("alice", "facts"))
            assert anonymous.status_code == 401
            forged = await gateway.http.get(gateway.user("alice", "facts"), headers={"Authorization": "Bearer vbm_x"})
            assert forged.status_code == 401
