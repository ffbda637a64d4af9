"""The real gateway in front of the real service (the `service` fixture), reached over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from voxbridge.memory.gateway import GatewaySettings

from tests.support.gateway import Gateway, serving_gateway
from tests.support.harness import Service


@pytest.fixture
async def gateway(service: Service) -> AsyncIterator[Gateway]:
    async with serving_gateway(GatewaySettings(target=service.address)) as running:
        yield running
