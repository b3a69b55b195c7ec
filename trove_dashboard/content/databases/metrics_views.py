"""The Metrics tab's data: JSON the tab's charts poll (static/trove_dashboard/js/metrics.js).

Each poll sends the time of the last sample it has as `since`, so it costs one API call
and carries only what is new.
"""
import logging

from django import http
from django.utils.translation import gettext_lazy as _
from django.views import generic

from trove_dashboard import exceptions as dash_exceptions
from trove_dashboard.api import metrics as metrics_api

LOG = logging.getLogger(__name__)


class MetricsDataView(generic.View):
    """GET ?since=<a sample's time>: {'interval': s, 'samples': [...]}, or {'error': words}."""

    def get(self, request, instance_id):
        since = request.GET.get('since') or None
        try:
            return http.JsonResponse(
                metrics_api.instance_metrics(request, instance_id, since))
        except dash_exceptions.RECOVERABLE as exc:
            if dash_exceptions.is_client_error(exc):
                return http.JsonResponse({'error': dash_exceptions.api_message(exc)},
                                         status=exc.http_status)
            LOG.warning('The metrics of instance %s could not be read.', instance_id,
                        exc_info=True)
        except Exception:
            LOG.warning('The metrics of instance %s could not be read.', instance_id,
                        exc_info=True)
        return http.JsonResponse({'error': str(_('Unable to retrieve the metrics; they are '
                                                 'asked for again in a few seconds.'))},
                                 status=503)
