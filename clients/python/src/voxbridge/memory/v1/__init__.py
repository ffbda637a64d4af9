"""Generated protobuf and gRPC stubs of voxbridge.memory.v1 (do not edit)."""
