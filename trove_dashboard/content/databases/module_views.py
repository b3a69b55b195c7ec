"""An instance's modules: the Apply Module dialog and downloading a module from its guest."""
import logging

from django import http
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import exceptions
from horizon import messages
from horizon.utils import memoized

from trove_dashboard.api import modules as modules_api
from trove_dashboard.content.database_modules import scope
from trove_dashboard.content.databases import form_views
from trove_dashboard.content.databases import module_forms
from trove_dashboard import exceptions as dash_exceptions

LOG = logging.getLogger(__name__)
MODULES_TAB = 'modules'


def modules_tab_url(instance_id):
    return '%s?tab=instance_details__%s' % (
        reverse(form_views.DETAIL_URL, args=[instance_id]), MODULES_TAB)


class ApplyModuleView(form_views.GuestFormView):
    """The instance, the modules of its datastore and the ones applied to it: three calls.
    With none fitting, the dialog says so and offers no Apply."""
    form_class = module_forms.ApplyModuleForm
    template_name = 'project/databases/apply_module_page.html'
    ajax_template_name = 'project/databases/_apply_module.html'
    modal_header = page_title = _('Apply Module')
    submit_label = _('Apply')
    submit_url_name = 'horizon:project:databases:apply_module'
    help_text = _("The instance's guest applies each module now and reports whether it "
                  'succeeded; the Modules tab shows the result.')
    tab = MODULES_TAB

    def datastore(self):
        datastore = getattr(self.get_object(), 'datastore', None) or {}
        return datastore.get('type'), datastore.get('version')

    @memoized.memoized_method
    def fitting(self):
        name, version = self.datastore()
        try:
            found = modules_api.module_list_for(self.request, name)
            applied = modules_api.instance_module_list(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve modules.'),
                              redirect=reverse(form_views.INDEX_URL))
        return ([m for m in found if scope.fits(m, name, version)],
                {getattr(m, 'id', None) for m in applied})

    def get_form_kwargs(self):
        modules, applied = self.fitting()
        return dict(super().get_form_kwargs(), modules=modules, applied=applied)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.fitting()[0]:
            name, version = self.datastore()
            context['no_modules'] = _(
                'No module fits %(datastore)s %(version)s: create one on the Modules '
                'panel.') % {'datastore': name, 'version': version}
        return context


def filename(module):
    """troveclient's module-retrieve name: <name>_<datastore>_<version>.dat."""
    return '%s_%s_%s.dat' % (module.name, getattr(module, 'datastore', scope.ALL),
                             getattr(module, 'datastore_version', scope.ALL))


class DownloadModuleView(generic.View):
    """The module's contents as the instance's guest holds them, as a file: one call.
    A refusal, or a module the guest does not hold, goes back to the Modules tab saying so."""

    def get(self, request, instance_id, module_id):
        try:
            found = modules_api.instance_module_contents(request, instance_id, module_id)
        except dash_exceptions.RECOVERABLE as exc:
            LOG.warning('Module %s of instance %s could not be retrieved.', module_id,
                        instance_id, exc_info=True)
            return self.back(request, instance_id, dash_exceptions.api_message(exc)
                             if dash_exceptions.is_client_error(exc)
                             else _('Unable to download the module.'))
        if found is None:
            return self.back(request, instance_id,
                             _("The instance's guest does not hold this module."))
        module, contents = found
        response = http.HttpResponse(contents, content_type='application/octet-stream')
        response['Content-Disposition'] = content_disposition_header(True, filename(module))
        return response

    @staticmethod
    def back(request, instance_id, message):
        messages.error(request, message)
        return http.HttpResponseRedirect(modules_tab_url(instance_id))
