"""VoxBridge Memory: a gRPC service that gives voice and chat agents a long-term memory of their users."""

__version__ = "0.1.0"
