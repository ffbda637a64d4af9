"""HTTP/JSON gateway and web UI for VoxBridge Memory: FastAPI in front of the generated gRPC stubs.

app = create_app(GatewaySettings(target="127.0.0.1:50051"))   # serve with uvicorn
"""

from voxbridge.memory.gateway.app import create_app
from voxbridge.memory.gateway.config import GatewaySettings, TlsSettings

__all__ = ["GatewaySettings", "TlsSettings", "create_app"]
