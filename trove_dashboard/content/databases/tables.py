from django.utils.translation import gettext_lazy as _
from horizon import tables


def _versions(datastore):
    return ', '.join(v['name'] for v in getattr(datastore, 'versions', []))


class DatastoresTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_("Datastore"))
    versions = tables.Column(_versions, verbose_name=_("Versions"))

    class Meta(object):
        name = 'datastores'
        verbose_name = _("Available datastores")
