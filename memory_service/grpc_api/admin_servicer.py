"""AdminService handlers: tokens, runtime settings, the embedding model and its cache."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, extraction_pb2

from memory_service.errors import NotImplementedYet

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):  # type: ignore[misc]  # generated, untyped
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
        raise NotImplementedYet("GetSystemSettings is declared but not implemented yet")

    async def UpdateSystemSettings(
        self, request: admin_pb2.UpdateSystemSettingsRequest, context: Context
    ) -> admin_pb2.GetSystemSettingsResponse:
        raise NotImplementedYet("UpdateSystemSettings is declared but not implemented yet")

    async def GetEmbeddingStatus(
        self, request: admin_pb2.GetEmbeddingStatusRequest, context: Context
    ) -> extraction_pb2.ReembeddingProgress:
        raise NotImplementedYet("GetEmbeddingStatus is declared but not implemented yet")

    async def ListCachedModels(
        self, request: admin_pb2.ListCachedModelsRequest, context: Context
    ) -> admin_pb2.ListCachedModelsResponse:
        raise NotImplementedYet("ListCachedModels is declared but not implemented yet")

    async def PruneCachedModels(
        self, request: admin_pb2.PruneCachedModelsRequest, context: Context
    ) -> admin_pb2.ListCachedModelsResponse:
        raise NotImplementedYet("PruneCachedModels is declared but not implemented yet")
