"""The Metrics tab: loaded only when opened, it holds the charts' places and words and asks
the API nothing itself; the charts poll a JSON view, one API call per poll, asking only for
what is newer than their last sample."""
import json
from unittest import mock

from django.urls import reverse

from tests.dashboard import helpers
from tests.dashboard.test_detail import DETAIL_URL, INSTANCE_CALLS
from trove_dashboard.api import metrics as metrics_api
from trove_dashboard.api import trove

METRICS_URL = reverse('horizon:project:databases:metrics', args=[helpers.INSTANCE_ID])
TAB = 'instance_details__metrics'
SAMPLE = {'time': '2026-12-07T18:00:05Z', 'cpu_percent': 1.5, 'memory_bytes': 123456789,
          'connections': 3, 'queries_per_second': 0.4, 'volume_used_bytes': 52428800}


class MetricsTabTests(helpers.TestCase):

    def mock_instance(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_instance_events.return_value = []

    @helpers.create_mocks({trove: INSTANCE_CALLS, metrics_api: ('instance_metrics',)})
    def test_the_tab_comes_after_events_and_is_not_loaded_with_the_page(self):
        self.mock_instance()
        res = self.client.get(DETAIL_URL)
        slugs = [t.slug for t in res.context['tab_group'].get_tabs()]
        self.assertEqual(['overview', 'events', 'metrics'], slugs[:3])
        html = res.content.decode()
        self.assertIn('data-target="#%s"' % TAB, html)
        self.assertNotIn('dbaas-metrics-chart', html)
        self.mock_instance_metrics.assert_not_called()

    @helpers.create_mocks({trove: INSTANCE_CALLS, metrics_api: ('instance_metrics',)})
    def test_the_opened_tab_holds_five_charts_their_words_and_the_views_url(self):
        self.mock_instance()
        res = self.client.get(DETAIL_URL, {'tab': TAB}, HTTP_X_REQUESTED_WITH='XMLHttpRequest')
        self.assertTemplateUsed(res, 'project/databases/_detail_metrics.html')
        html = res.content.decode()
        self.assertIn('data-url="%s"' % METRICS_URL, html)
        for figure, title in (('cpu_percent', 'CPU (percent of one CPU)'),
                              ('memory_bytes', 'Memory'), ('connections', 'Connections'),
                              ('queries_per_second', 'Queries per second'),
                              ('volume_used_bytes', 'Volume used')):
            self.assertIn('data-figure="%s"' % figure, html)
            self.assertIn('<h4>%s ' % title, html)
        self.assertIn('No samples yet', html)
        self.assertIn('trove_dashboard/js/metrics.js', html)
        self.mock_instance_metrics.assert_not_called()

    @helpers.create_mocks({metrics_api: ('instance_metrics',)})
    def test_the_view_answers_the_apis_samples_newer_than_since_in_one_call(self):
        self.mock_instance_metrics.return_value = {'interval': 5, 'samples': [SAMPLE]}
        res = self.client.get(METRICS_URL, {'since': '2026-12-07T18:00:00Z'})
        self.assertEqual(200, res.status_code)
        self.assertEqual({'interval': 5, 'samples': [SAMPLE]}, json.loads(res.content))
        self.mock_instance_metrics.assert_called_once_with(
            helpers.IsHttpRequest(), helpers.INSTANCE_ID, '2026-12-07T18:00:00Z')

    @helpers.create_mocks({metrics_api: ('instance_metrics',)})
    def test_the_first_poll_asks_for_the_whole_day(self):
        self.mock_instance_metrics.return_value = {'interval': 60, 'samples': []}
        res = self.client.get(METRICS_URL)
        self.assertEqual({'interval': 60, 'samples': []}, json.loads(res.content))
        self.mock_instance_metrics.assert_called_once_with(
            helpers.IsHttpRequest(), helpers.INSTANCE_ID, None)

    @helpers.create_mocks({metrics_api: ('instance_metrics',)})
    def test_a_refusal_is_passed_on_in_the_apis_words(self):
        self.mock_instance_metrics.side_effect = helpers.api_error(
            400, "'since' must be a time, in ISO 8601 (e.g. 2026-12-07T18:00:00Z) or in "
                 "seconds since 1970; it is 'x'.")
        res = self.client.get(METRICS_URL, {'since': 'x'})
        self.assertEqual(400, res.status_code)
        self.assertIn("'since' must be a time", json.loads(res.content)['error'])

    @helpers.create_mocks({metrics_api: ('instance_metrics',)})
    def test_an_api_failure_is_said_in_words_without_its_text(self):
        self.mock_instance_metrics.side_effect = helpers.api_error(500, 'Traceback: boom')
        res = self.client.get(METRICS_URL)
        self.assertEqual(503, res.status_code)
        error = json.loads(res.content)['error']
        self.assertIn('Unable to retrieve the metrics', error)
        self.assertNotIn('Traceback', error)


class MetricsApiTests(helpers.TestCase):

    def test_since_is_sent_as_a_query_parameter_of_one_get(self):
        client = mock.Mock()
        client.client.get.return_value = (None, {'metrics': {'interval': 5, 'samples': []}})
        with mock.patch.object(trove, 'troveclient', return_value=client):
            answer = metrics_api.instance_metrics(mock.sentinel.request, helpers.INSTANCE_ID,
                                                  '2026-12-07T18:00:00+01:00')
        self.assertEqual({'interval': 5, 'samples': []}, answer)
        client.client.get.assert_called_once_with(
            '/instances/%s/metrics?since=2026-12-07T18%%3A00%%3A00%%2B01%%3A00'
            % helpers.INSTANCE_ID)
