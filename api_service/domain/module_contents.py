"""Module contents at rest: sealed with [DEFAULT] module_key, md5 of the plaintext.

The API takes and gives contents as base64 text (python-troveclient encodes them), the
database holds them sealed, and only the guest ever writes the plaintext.
"""
import base64
import binascii
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from oslo_config import cfg

from api_service.common import exceptions

CONF = cfg.CONF


def decode(text):
    """The plaintext bytes of the API's base64 `contents`; a 400 naming the field if it is
    not base64."""
    try:
        return base64.b64decode(text.encode('ascii'), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise exceptions.BadRequest('contents must be the base64 encoding of the module '
                                    "file (python-troveclient encodes it for you).")


def encode(plaintext):
    """Base64 text of `plaintext` bytes, as the API and the guest carry contents."""
    return base64.b64encode(plaintext).decode('ascii')


def md5_of(plaintext):
    return hashlib.md5(plaintext, usedforsecurity=False).hexdigest()


def seal(plaintext):
    return _fernet().encrypt(plaintext).decode('ascii')


def unseal(stored):
    try:
        return _fernet().decrypt(stored.encode('ascii'))
    except InvalidToken:
        raise exceptions.DBaaSError('A module could not be unsealed: [DEFAULT] module_key '
                                    'is not the key it was sealed with.')


def _fernet():
    if not CONF.module_key:
        raise exceptions.ServiceUnavailable('Modules are not available: the service has no '
                                            '[DEFAULT] module_key configured.')
    return Fernet(CONF.module_key.encode('ascii'))
