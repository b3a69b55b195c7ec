"""Sealed RPC payloads: only the instance's key opens them."""
import pytest

from api_service.rpc import secure


def test_seal_round_trip_and_wrong_key_refused():
    key, other = secure.new_key(), secure.new_key()
    token = secure.seal(key, {'password': 'correct-horse-battery', 'n': 1})
    assert 'horse' not in token
    assert secure.unseal(key, token) == {'password': 'correct-horse-battery', 'n': 1}
    with pytest.raises(secure.SealError):
        secure.unseal(other, token)


def test_serializer_seals_entities_and_strips_tokens_from_context():
    serializer = secure.SealingSerializer(secure.new_key())
    sealed = serializer.serialize_entity({}, ['users', {'password': 'correct-horse-battery'}])
    assert set(sealed) == {secure.SEALED} and 'horse' not in sealed[secure.SEALED]
    assert serializer.deserialize_entity({}, sealed) == ['users', {'password': 'correct-horse-battery'}]
    with pytest.raises(secure.SealError):
        serializer.deserialize_entity({}, {'password': 'forged'})
    ctx = serializer.serialize_context({'auth_token': 'tok', 'project_id': 'p', 'request_id': 'r'})
    assert 'auth_token' not in ctx and ctx['project_id'] == 'p'


def test_keys_at_rest_need_the_master_key():
    master, key = secure.new_key(), secure.new_key()
    stored = secure.encrypt_key_at_rest(master, key)
    assert key not in stored
    assert secure.decrypt_key_at_rest(master, stored) == key
    with pytest.raises(Exception):
        secure.decrypt_key_at_rest(secure.new_key(), stored)
