"""The embedded stack: Keystone, RabbitMQ, the service and Horizon on loopback, one state dir.

`dbaas-stack run` (make run) starts everything in the foreground; `up`, `down` and
`status` (make up/down/status) do the same for scripts.
"""
