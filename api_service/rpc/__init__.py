"""RPC over oslo.messaging: transport, versioned clients, servers."""
