"""The confirmations of Promote, Eject and Detach: each names every member of the set and
what will happen to it (replication_actions.consequences), then makes the one call.

Two calls to show (the instance, its set); one to confirm. After the call the page is the
instance's Replication tab, where the set and the switchover's report appear.
"""
import logging

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms as horizon_forms
from horizon import messages
from horizon.utils import memoized

from trove_dashboard.api import replication as replication_api
from trove_dashboard.content.databases import form_views
from trove_dashboard.content.databases import forms
from trove_dashboard.content.databases import replication_actions as ra
from trove_dashboard import exceptions as dash_exceptions

LOG = logging.getLogger(__name__)

# operation -> its call in api/replication.py
CALLS = {ra.PROMOTE: 'promote', ra.EJECT: 'eject', ra.DETACH: 'detach'}


class ReplicationForm(forms.InstanceForm):
    """A confirmation: no field the user fills in, only the instance."""
    instance_name = horizon_forms.CharField(widget=horizon_forms.HiddenInput(),
                                            required=False)
    operation = None
    success = None

    def apply(self, request, data):
        getattr(replication_api, CALLS[self.operation])(request, data['instance_id'])
        messages.success(request, self.success % (data.get('instance_name') or
                                                  data['instance_id']))
        return True


class PromoteForm(ReplicationForm):
    operation = ra.PROMOTE
    success = _('Promoting "%s" to replica source.')
    failure_message = _('The replica could not be promoted.')


class EjectForm(ReplicationForm):
    operation = ra.EJECT
    success = _('Ejecting "%s" from its replica set.')
    failure_message = _('The replica source could not be ejected.')


class DetachForm(ReplicationForm):
    operation = ra.DETACH
    success = _('Detaching "%s" from its source.')
    failure_message = _('The replica could not be detached.')


class ReplicationConfirmView(form_views.InstanceFormView):
    ajax_template_name = 'project/databases/replication_confirm.html'
    operation = None

    def get_success_url(self):
        return '%s?tab=instance_details__replication' % reverse(
            form_views.DETAIL_URL, args=[self.kwargs['instance_id']])

    @memoized.memoized_method
    def replica_set(self):
        """The set as the API describes it, or None when it cannot be read now (the
        confirmation then names the other members by id)."""
        try:
            return replication_api.replica_set(self.request, self.kwargs['instance_id'])
        except dash_exceptions.RECOVERABLE:
            LOG.warning('The replica set of instance %s could not be read.',
                        self.kwargs['instance_id'], exc_info=True)
            return None

    def get_initial(self):
        return dict(super().get_initial(), instance_name=self.get_object().name)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['consequences'] = ra.consequences(self.operation, self.get_object(),
                                                  self.replica_set())
        context['operation'] = self.operation
        return context


class PromoteView(ReplicationConfirmView):
    form_class = PromoteForm
    operation = ra.PROMOTE
    modal_header = page_title = _('Promote to Replica Source')
    submit_label = _('Promote')
    submit_url_name = 'horizon:project:databases:promote'


class EjectView(ReplicationConfirmView):
    form_class = EjectForm
    operation = ra.EJECT
    modal_header = page_title = _('Eject Replica Source')
    submit_label = _('Eject')
    submit_url_name = 'horizon:project:databases:eject'


class DetachView(ReplicationConfirmView):
    form_class = DetachForm
    operation = ra.DETACH
    modal_header = page_title = _('Detach Replica')
    submit_label = _('Detach')
    submit_url_name = 'horizon:project:databases:detach_replica'
