"""The request context: who is asking, for which project."""
from oslo_context import context


class RequestContext(context.RequestContext):
    """oslo.context's context plus the project named in the URL."""

    def __init__(self, url_project_id=None, **kwargs):
        super().__init__(**kwargs)
        self.url_project_id = url_project_id

    @property
    def is_admin_role(self):
        return 'admin' in (self.roles or [])

    @classmethod
    def from_environ(cls, environ, **kwargs):
        ctx = super().from_environ(environ, **kwargs)
        ctx.is_admin = 'admin' in (ctx.roles or [])
        return ctx

    @classmethod
    def admin(cls):
        """A context for services acting on their own behalf."""
        return cls(is_admin=True, roles=['admin'], overwrite=False)
