"""AdminService handlers: tokens, runtime settings, the embedding model and its cache."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, extraction_pb2

from memory_service.grpc_api import convert
from memory_service.service.system_settings import SystemSettingsService
from memory_service.service.tokens import TokenService

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):  # type: ignore[misc]  # generated, untyped
    def __init__(self, system: SystemSettingsService, tokens: TokenService) -> None:
        self._system = system
        self._tokens = tokens

    async def CreateToken(
        self, request: admin_pb2.CreateTokenRequest, context: Context
    ) -> admin_pb2.CreateTokenResponse:
        token, secret = await self._tokens.create(convert.token_role(request.role), request.user_id, request.name)
        return admin_pb2.CreateTokenResponse(token=convert.access_token(token), secret=secret)

    async def ListTokens(self, request: admin_pb2.ListTokensRequest, context: Context) -> admin_pb2.ListTokensResponse:
        return admin_pb2.ListTokensResponse(tokens=[convert.access_token(t) for t in await self._tokens.list()])

    async def RevokeToken(self, request: admin_pb2.RevokeTokenRequest, context: Context) -> admin_pb2.AccessToken:
        return convert.access_token(await self._tokens.revoke(request.name))

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
