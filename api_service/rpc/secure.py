"""Encrypted RPC payloads between the control plane and each guest (secure-oslo-messaging spec).

Every instance has its own Fernet key: the control plane keeps it encrypted with the
master key ([instance] master_key) in `instance_keys`; the guest gets it in its
private config file. Arguments and results of guest RPC are sealed with it, and a
guest's reports to the conductor are sealed too, so a process on the broker that is
not the instance's guest can neither read nor forge them. No key is built in.
"""
import json

import oslo_messaging as messaging
from cryptography.fernet import Fernet, InvalidToken

SEALED = '__sealed__'
# A sealed report older than this is refused: it is a replay, or hopelessly late.
MAX_AGE_SECONDS = 600


class SealError(Exception):
    """A payload could not be opened with the key: wrong key, tampered or replayed."""


def new_key():
    return Fernet.generate_key().decode()


def seal(key, payload):
    return Fernet(key.encode() if isinstance(key, str) else key).encrypt(
        json.dumps(payload).encode()).decode()


def unseal(key, token, max_age=MAX_AGE_SECONDS):
    try:
        data = Fernet(key.encode() if isinstance(key, str) else key).decrypt(
            token.encode(), ttl=max_age)
    except (InvalidToken, TypeError, ValueError):
        raise SealError('payload could not be opened with the instance key')
    return json.loads(data)


class SealingSerializer(messaging.Serializer):
    """oslo.messaging serializer sealing every argument and result with one key."""

    def __init__(self, key):
        self.key = key

    def serialize_entity(self, ctxt, entity):
        return {SEALED: seal(self.key, entity)}

    def deserialize_entity(self, ctxt, entity):
        if isinstance(entity, dict) and set(entity) == {SEALED}:
            return unseal(self.key, entity[SEALED])
        raise SealError('refusing an unsealed payload')

    def serialize_context(self, ctxt):
        # Only what a guest needs to log a request: never the caller's token.
        ctxt = ctxt if isinstance(ctxt, dict) else ctxt.to_dict()
        return {k: ctxt.get(k) for k in ('request_id', 'project_id', 'user_id')}

    def deserialize_context(self, ctxt):
        return ctxt


def encrypt_key_at_rest(master_key, instance_key):
    return Fernet(master_key.encode()).encrypt(instance_key.encode()).decode()


def decrypt_key_at_rest(master_key, stored):
    return Fernet(master_key.encode()).decrypt(stored.encode()).decode()
