"""The gRPC transport: servicers that translate, one interceptor, the status table, the server."""
