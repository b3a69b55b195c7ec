"""The `ping` module driver: proves the module path end to end and places nothing."""
from api_service.guestagent.modules import base


class PingDriver(base.ModuleDriver):
    """Reads the contents (so an unreadable payload fails) and answers "pong"."""

    def apply(self, module, contents_path):
        with open(contents_path, 'rb') as handle:
            while handle.read(1 << 16):
                pass
        return True, 'pong', None

    def remove(self, module):
        pass            # nothing was placed
