"""A modal form that is also a page of its own: the panels' forms share it."""
from horizon import forms as horizon_forms


class CancelToSuccess:
    """Cancel goes where success goes. Horizon's default is the class's `success_url`,
    which our views compute instead (get_success_url): without this a modal has no Cancel
    button."""

    def get_cancel_url(self):
        return self.get_success_url()


class PageModalFormView(CancelToSuccess, horizon_forms.ModalFormView):
    """Posts back to its own URL (so it works as a modal and as a page), shows the
    view's help text beside the form, and cancels to where success goes."""
    help_text = ''

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = self.request.path
        context['help_text'] = self.help_text
        return context
