"""Whether an instance's users have a host: MariaDB's are name@host (its versions declare
`user_hosts`), PostgreSQL's are plain names that connect from wherever the instance's
access allows. The user forms show Host only where it means something.

The answer costs the instance (the view's own call) and the datastores: two calls.
"""
from horizon.utils import memoized

from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard import exceptions as dash_exceptions


def offered(request, instance):
    """Whether the instance's version declares user hosts. When the datastores cannot be
    read the field stays: the API still refuses a host the engine has none for, in words."""
    try:
        capabilities = cat.Catalogue.load(request).capabilities_of(instance)
    except dash_exceptions.RECOVERABLE:
        return True
    return cat.USER_HOSTS in capabilities


class UserHostsMixin:
    """For a user form's view (an InstanceFormView): hands the form `user_hosts`."""

    @memoized.memoized_method
    def user_hosts(self):
        return offered(self.request, self.get_object())

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), user_hosts=self.user_hosts())
