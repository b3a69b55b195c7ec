"""Edit User (a modal form) and Manage Access (a page) for one user of an instance.

The user is named in the query string (?user=name@host, as the Users table names its
rows): a host may hold '/' (a netmask), which a path segment could not carry.
Edit User costs two API calls to show (the instance and the datastores: whether its
users have a host) and three to save; Manage Access costs three: the instance, one page
of its databases and the user's databases.
"""
from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import messages
from horizon import tables as horizon_tables
from horizon.utils import memoized

from trove_dashboard.api import trove
from trove_dashboard.api import users as users_api
from trove_dashboard.content.databases import detail_tables
from trove_dashboard.content.databases import form_views
from trove_dashboard.content.databases import states
from trove_dashboard.content.databases import user_access_tables
from trove_dashboard.content.databases import user_forms
from trove_dashboard.content.databases import user_hosts
from trove_dashboard import exceptions as dash_exceptions

INDEX_URL = 'horizon:project:databases:index'
DETAIL_URL = 'horizon:project:databases:detail'
USER_PARAM = 'user'


def users_tab_url(instance_id):
    return '%s?tab=instance_details__users' % reverse(DETAIL_URL, args=[instance_id])


def named_user(request):
    """(name, host) of the user the query string names; 404 when it names none."""
    name, host = detail_tables.split_user_ref(request.GET.get(USER_PARAM, ''))
    if not name:
        raise http.Http404(_('No user is named.'))
    return name, host


# Edit User's help where users have no host (PostgreSQL).
HELP_WITHOUT_HOSTS = _("Fill in only what should change. A new name keeps the user's "
                       'password and its access to databases.')


class EditUserView(user_hosts.UserHostsMixin, form_views.GuestFormView):
    form_class = user_forms.EditUserForm
    modal_header = _('Edit User')
    submit_label = _('Save Changes')
    submit_url_name = 'horizon:project:databases:edit_user'
    help_text = _('Fill in only what should change. A new name or host keeps the '
                  "user's password and its access to databases.")
    tab = 'users'

    def get_initial(self):
        name, host = named_user(self.request)
        return dict(super().get_initial(), name=name, host=host)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = self.request.get_full_path()   # it names the user
        context['page_title'] = context['modal_header'] = (
            _('Edit User "%s"') % self.request.GET.get(USER_PARAM))
        if not self.user_hosts():
            context['help_text'] = HELP_WITHOUT_HOSTS
        return context


class ManageAccessView(horizon_tables.DataTableView):
    table_class = user_access_tables.AccessTable
    template_name = 'project/databases/user_access.html'

    @memoized.memoized_method
    def instance(self):
        try:
            return trove.instance_get(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the instance.'),
                              redirect=reverse(INDEX_URL))

    def get_table(self):
        if not hasattr(self, 'table'):
            name, host = named_user(self.request)
            self.table = self.table_class(self.request, instance=self.instance(),
                                          user_name=name, user_host=host, **self.kwargs)
        return self.table

    def get_data(self):
        instance, self._more = self.instance(), None
        if not states.allows(instance, 'guest'):
            return []
        name, host = named_user(self.request)
        marker = self.request.GET.get(self.table_class._meta.pagination_param)
        try:
            databases, self._more = trove.database_list(self.request, instance.id,
                                                        marker=marker)
            granted = users_api.user_access(self.request, instance.id, name, host)
        except Exception as exc:
            # A user renamed or deleted meanwhile: back to the users, in the API's words.
            if (isinstance(exc, dash_exceptions.RECOVERABLE)
                    and dash_exceptions.is_client_error(exc)):
                messages.error(self.request, dash_exceptions.api_message(exc))
                raise exceptions.Http302(users_tab_url(instance.id))
            exceptions.handle(self.request, _("Unable to retrieve the user's access."),
                              redirect=users_tab_url(instance.id))
        return user_access_tables.access_rows(databases, granted)

    def has_more_data(self, table):
        return bool(getattr(self, '_more', None))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = self.instance()
        user = self.request.GET.get(USER_PARAM)
        context.update(instance=instance, user_ref=user,
                       guest_running=states.allows(instance, 'guest'),
                       page_title=_('Manage Access of "%s"') % user,
                       custom_breadcrumb=[(instance.name,
                                           reverse(DETAIL_URL, args=[instance.id])),
                                          (_('Users'), users_tab_url(instance.id))])
        return context
