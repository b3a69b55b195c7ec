"""Keystone's WSGI app for gunicorn. Keystone parses sys.argv, so clear it first."""
import sys

sys.argv = sys.argv[:1]

from keystone.server.wsgi import initialize_public_application  # noqa: E402

application = initialize_public_application()
