"""Every project's quotas: one row per project, each resource's usage drawn as a bar."""
from django.template import loader
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from horizon import tables


def _figures(usage, unit):
    """'2 of 5', '85 of 100 GB', or '512 MB used, unlimited'."""
    if usage.level == 'unlimited':
        used = '%s %s' % (usage.in_use, unit) if unit else usage.in_use
        return _('%(used)s used, unlimited') % {'used': used}
    text = _('%(used)s of %(limit)s') % {'used': usage.in_use, 'limit': usage.limit}
    return '%s %s' % (text, unit) if unit else text


def usage_bar(resource, unit):
    """A cell that draws the project's usage of `resource` against its limit."""
    def render(project):
        usage = project.quotas.get(resource)
        if usage is None:
            return '-'
        return loader.render_to_string('admin/database_quotas/_bar.html', {
            'usage': usage, 'figures': _figures(usage, unit)})
    return render


class EditQuotas(tables.LinkAction):
    name = 'edit'
    verbose_name = _('Edit Quotas')
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = (('database', 'quota:update'),)

    def get_link_url(self, datum):
        # The name rides along so the form can say whose quotas it edits without a
        # Keystone call of its own.
        return '%s?%s' % (reverse('horizon:admin:database_quotas:edit', args=[datum.id]),
                          urlencode({'name': datum.name}))


def _project_label(project):
    return project.name if project.known else _('%s (not in Keystone)') % project.id


class QuotasTable(tables.DataTable):
    project = tables.WrappingColumn(_project_label, verbose_name=_('Project'))
    instances = tables.Column(usage_bar('instances', ''), verbose_name=_('Instances'),
                              classes=('quota-usage',))
    ram = tables.Column(usage_bar('ram', _('MB')), verbose_name=_('RAM'),
                        classes=('quota-usage',))
    volumes = tables.Column(usage_bar('volumes', _('GB')), verbose_name=_('Volumes'),
                            classes=('quota-usage',))
    backups = tables.Column(usage_bar('backups', ''), verbose_name=_('Backups'),
                            classes=('quota-usage',))

    # The page's end as the API paged it (rows are sorted by name, not by id).
    page_marker = None

    class Meta:
        name = 'quotas'
        verbose_name = _('Quotas')
        row_actions = (EditQuotas,)

    def get_marker(self):
        return self.page_marker or ''
