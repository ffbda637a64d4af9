"""AdminService handlers: tokens, runtime settings, the embedding model and its cache."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, extraction_pb2

from memory_service.errors import NotImplementedYet
from memory_service.grpc_api import convert
from memory_service.service.system_settings import SystemSettingsService

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):  # type: ignore[misc]  # generated, untyped
    def __init__(self, system: SystemSettingsService) -> None:
        self._system = system

    async def CreateToken(
        self, request: admin_pb2.CreateTokenRequest, context: Context
    ) -> admin_pb2.CreateTokenResponse:
        raise NotImplementedYet("CreateToken is declared but not implemented yet")

    async def ListTokens(self, request: admin_pb2.ListTokensRequest, context: Context) -> admin_pb2.ListTokensResponse:
        raise NotImplementedYet("ListTokens is declared but not implemented yet")

    async def RevokeToken(self, request: admin_pb2.RevokeTokenRequest, context: Context) -> admin_pb2.AccessToken:
        raise NotImplementedYet("RevokeToken is declared but not implemented yet")

    async def GetSystemSettings(
        self, request: admin_pb2.GetSystemSettingsRequest, context: Context
    ) -> admin_pb2.GetSystemSettingsResponse:
        return convert.system_settings(await self._system.describe())

    async def UpdateSystemSettings(
        self, request: admin_pb2.UpdateSystemSettingsRequest, context: Context
    ) -> admin_pb2.GetSystemSettingsResponse:
        updated = await self._system.update(dict(request.values), list(request.clear))
        return convert.system_settings(updated)

    async def GetEmbeddingStatus(
        self, request: admin_pb2.GetEmbeddingStatusRequest, context: Context
    ) -> extraction_pb2.ReembeddingProgress:
        progress = convert.reembedding(await self._system.embedding_status())
        assert progress is not None
        return progress

    async def ListCachedModels(
        self, request: admin_pb2.ListCachedModelsRequest, context: Context
    ) -> admin_pb2.ListCachedModelsResponse:
        return convert.cached_models(await self._system.cached_models(), freed_bytes=0)

    async def PruneCachedModels(
        self, request: admin_pb2.PruneCachedModelsRequest, context: Context
    ) -> admin_pb2.ListCachedModelsResponse:
        remaining, freed = await self._system.prune_cached_models()
        return convert.cached_models(remaining, freed_bytes=freed)
