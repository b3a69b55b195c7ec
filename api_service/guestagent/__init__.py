"""The guest agent: one process per instance, next to its engine.

It imports nothing of the server but the shared RPC contract (api_service.rpc.secure,
transport) and its own engine managers (datastore/).
"""
