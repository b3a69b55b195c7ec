"""Casts that reach a queue: published "mandatory" and tried again while none takes them.

Right after the broker restarted, a server (task manager, conductor) may not have declared
its queue again yet: a cast published then would vanish. Published mandatory, it comes back
as MessageUndeliverable instead, and cast_delivered tries again. No configuration here: the
guest agent imports it beside its own options.
"""
import time

import oslo_messaging as messaging

DELIVERED = messaging.TransportOptions(at_least_once=True)
UNDELIVERABLE_WAIT = 30.0
UNDELIVERABLE_INTERVAL = 0.25


def cast_delivered(client, ctx, method, wait=None, **kwargs):
    """cast, again while no queue takes it, for `wait` seconds (UNDELIVERABLE_WAIT unless
    told); then MessageUndeliverable."""
    deadline = time.monotonic() + (UNDELIVERABLE_WAIT if wait is None else wait)
    while True:
        try:
            return client.cast(ctx, method, **kwargs)
        except messaging.MessageUndeliverable:
            if time.monotonic() >= deadline:
                raise
            time.sleep(UNDELIVERABLE_INTERVAL)

