"""A modal form whose API refusal lands on the field it is about, in the API's words.

Subclasses implement apply(); a 4xx it raises is shown on error_field_for(message) (the
form itself when that is None); anything else goes to Horizon's error handling, which
redirects to `index_url`.
"""
from django.urls import reverse
from horizon import exceptions
from horizon import forms

from trove_dashboard import exceptions as dash_exceptions


class RefusalForm(forms.SelfHandlingForm):
    index_url = None
    error_field = None
    failure_message = None

    def handle(self, request, data):
        try:
            return self.apply(request, data)
        except dash_exceptions.RECOVERABLE as exc:
            if not dash_exceptions.is_client_error(exc):
                exceptions.handle(request, self.failure_message,
                                  redirect=reverse(self.index_url))
            message = dash_exceptions.api_message(exc)
            self.add_error(self.error_field_for(message), message)
            return False

    def error_field_for(self, message):
        """The field a refusal is about; the form itself when unsure."""
        return self.error_field

    def apply(self, request, data):
        raise NotImplementedError
