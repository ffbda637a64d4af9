"""The gateway holds no privilege: the caller's token reaches the service on every call; TLS and mTLS channels."""

from __future__ import annotations

from pathlib import Path

import grpc
from voxbridge.memory.gateway import GatewaySettings, TlsSettings

from tests.support.certificates import make_certificates
from tests.support.gateway import serving_gateway
from tests.support.grpc_proxy import recording_proxy
from tests.support.harness import Service
from tests.support.sse import read_frames

USER = "alice/in wonderland"


async def test_the_callers_authorization_reaches_the_service_on_every_call(service: Service) -> None:
    async with (
        recording_proxy(service.address) as proxy,
        serving_gateway(GatewaySettings(target=proxy.address)) as gateway,
    ):
        bearer = {"Authorization": "Bearer user-token-1"}
        created = await gateway.http.post(gateway.user(USER, "facts"), json={"text": "I like tea"}, headers=bearer)
        assert created.status_code == 201
        await gateway.http.get(gateway.user(USER, "stats"), headers=bearer)
        await gateway.http.get(gateway.user(USER, "facts"))  # no header: nothing forwarded
        async with gateway.http.stream(
            "GET", gateway.user(USER, "events"), params={"access_token": "query-token", "after_event_id": "latest"}
        ) as response:
            await read_frames(response, 1)
        header_wins = {"Authorization": "Bearer header-token"}
        async with gateway.http.stream(
            "GET", gateway.user(USER, "events"), params={"access_token": "query-token"}, headers=header_wins
        ) as response:
            await read_frames(response, 1)
        malformed = await gateway.http.get(
            gateway.user(USER, "facts"), headers={"Authorization": "Bearer t\xf6k".encode("latin-1")}
        )

    assert [m.get("authorization") for m in proxy.metadata_of("CreateFact")] == ["Bearer user-token-1"]
    assert [m.get("authorization") for m in proxy.metadata_of("GetQueueStats")] == ["Bearer user-token-1"]
    # The stats page of a user reads several ListFacts pages and one GetQueueStats: each call carries the token.
    assert [m.get("authorization") for m in proxy.metadata_of("ListFacts")] == ["Bearer user-token-1", None]
    watches = [m.get("authorization") for m in proxy.metadata_of("WatchExtractions")]
    assert watches == ["Bearer query-token", "Bearer query-token", "Bearer header-token"]  # `latest` probes first
    assert all(m.get("x-request-id") for _, m in proxy.calls)
    assert malformed.status_code == 401 and malformed.json()["error"]["reason"] == "MALFORMED_AUTHORIZATION"


async def test_tls_and_mutual_tls_channels_to_the_service(service: Service, tmp_path: Path) -> None:
    certs = make_certificates(tmp_path / "certs")
    key_pair = [(certs.server_key.read_bytes(), certs.server_cert.read_bytes())]
    mutual = grpc.ssl_server_credentials(key_pair, root_certificates=certs.ca.read_bytes(), require_client_auth=True)
    async with recording_proxy(service.address, credentials=mutual) as proxy:
        client_tls = TlsSettings(ca=certs.ca, cert=certs.client_cert, key=certs.client_key)
        async with serving_gateway(GatewaySettings(target=proxy.address, tls=client_tls)) as gateway:
            ok = await gateway.http.post(gateway.user(USER, "facts"), json={"text": "over mTLS"})
            assert ok.status_code == 201, ok.text
        # Without a client certificate the service refuses the handshake: unreachable, 503.
        async with serving_gateway(GatewaySettings(target=proxy.address, tls=TlsSettings(ca=certs.ca))) as gateway:
            refused = await gateway.http.get(gateway.user(USER, "facts"))
            assert refused.status_code == 503 and refused.json()["error"]["reason"] == "SERVICE_UNREACHABLE"

    server_only = grpc.ssl_server_credentials(key_pair)
    async with (
        recording_proxy(service.address, credentials=server_only) as proxy,
        serving_gateway(GatewaySettings(target=proxy.address, tls=TlsSettings(ca=certs.ca))) as gateway,
    ):
        listed = await gateway.http.get(gateway.user(USER, "facts"))
        assert listed.status_code == 200 and [f["text"] for f in listed.json()["facts"]] == ["over mTLS"]
    assert [name for name, _ in proxy.calls] == ["ListFacts"]
