"""Apply modules to a running instance: the guest answers for each (OK or FAILED)."""
from django.forms import widgets as django_widgets
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import modules as modules_api
from trove_dashboard.content.databases import forms as instance_forms


class ApplyModuleForm(instance_forms.InstanceForm):
    modules = forms.MultipleChoiceField(
        label=_('Modules'), widget=django_widgets.CheckboxSelectMultiple(),
        help_text=_("Only modules of the instance's datastore and version. One already "
                    'applied is applied again with its current contents.'))
    error_field = 'modules'
    failure_message = _('The modules could not be applied.')

    def __init__(self, request, *args, **kwargs):
        fitting = kwargs.pop('modules', [])
        applied = set(kwargs.pop('applied', ()))
        super().__init__(request, *args, **kwargs)
        self.names = {m.id: m.name for m in fitting}
        self.fields['modules'].choices = [
            (module_id, _('%s (applied; applying again uses its current contents)') % name
             if module_id in applied else name)
            for module_id, name in sorted(self.names.items(), key=lambda i: i[1].lower())]

    def apply(self, request, data):
        results = modules_api.instance_module_apply(request, data['instance_id'],
                                                    data['modules'])
        for result in results:
            name = getattr(result, 'name', None) or self.names.get(getattr(result, 'id', ''))
            if getattr(result, 'status', 'OK') == 'OK':
                messages.success(request, _('Applied module "%s".') % name)
            else:
                messages.error(request, _('Module "%(name)s" failed: %(message)s') % {
                    'name': name, 'message': getattr(result, 'message', None) or '-'})
        return True
