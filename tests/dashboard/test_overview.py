"""The Databases Overview: the landing page, first in the group; two API calls whatever the
number of instances; quota pies, counts by status and datastore, storage, backups, the
backups due next and the latest faults with links; an instance's old address redirects."""
from unittest import mock

import horizon
from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import overview as overview_api
from trove_dashboard.api import trove

URL = reverse('horizon:project:database_overview:index')
I = helpers.INSTANCE_ID
OTHER = helpers.uuid_for('other')
LIMITS = {'verb': 'ABSOLUTE', 'max_instances': 10, 'in_use_instances': 3,
          'max_volumes': 40, 'in_use_volumes': 9, 'max_ram': 4096, 'in_use_ram': 1536,
          'max_backups': -1, 'in_use_backups': 4}
SUMMARY = {
    'instances': {'total': 3,
                  'by_status': [{'status': 'ACTIVE', 'count': 2},
                                {'status': 'ERROR', 'count': 1}],
                  'by_datastore': [{'datastore': 'mariadb', 'count': 2},
                                   {'datastore': 'postgresql', 'count': 1}]},
    'storage': {'allocated_gb': 9, 'used_bytes': 3 * 1024 ** 3},
    'backups': {'count': 4, 'size_bytes': 5 * 1024 ** 2},
    'next_backups': [{'schedule_id': helpers.uuid_for('nightly'), 'schedule_name': 'nightly',
                      'next_run': '2099-01-01T03:00:00', 'instance_id': I,
                      'instance_name': 'db1'}],
    'recent_faults': [{'instance_id': OTHER, 'instance_name': 'broken',
                       'instance_status': 'ERROR', 'message': 'The volume is full.',
                       'created': '2026-11-22T01:01:35'}],
}
EMPTY = {'instances': {'total': 0, 'by_status': [], 'by_datastore': []},
         'storage': {'allocated_gb': 0, 'used_bytes': 0},
         'backups': {'count': 0, 'size_bytes': 0}, 'next_backups': [], 'recent_faults': []}


class OverviewTests(helpers.TestCase):

    def get(self, limits=LIMITS, summary=SUMMARY, url=URL):
        with mock.patch.object(trove, 'limits', return_value=limits) as limits_call, \
                mock.patch.object(overview_api, 'overview', return_value=summary) as call:
            res = self.client.get(url)
        return res, limits_call, call

    def test_the_overview_is_the_landing_page_and_first_in_the_group(self):
        res, _limits, _call = self.get(url='/project/')
        self.assertTemplateUsed(res, 'project/database_overview/index.html')
        project = horizon.get_dashboard('project')
        self.assertEqual('database_overview', project.default_panel)
        group = [p.slug for p in project.get_panel_group('database')]
        self.assertEqual(['database_overview', 'databases'], group[:2])

    def test_two_calls_draw_the_quota_pies(self):
        res, limits_call, call = self.get()
        limits_call.assert_called_once_with(helpers.IsHttpRequest())
        call.assert_called_once_with(helpers.IsHttpRequest())
        charts = {c['type']: c for c in res.context['charts'][0]['charts']}
        self.assertEqual(['instances', 'volumes', 'ram', 'backups'], list(charts))
        html = res.content.decode()
        # Horizon's pies: the percentage used, and its words under each.
        self.assertIn('data-used="30"', html)              # 3 of 10 instances
        self.assertIn('data-used="22"', html)              # 9 of 40 GB
        self.assertIn('data-used="38"', html)              # 1.5 of 4 GB RAM
        self.assertIn('Used 3 of 10', html)
        self.assertIn('Used 9GB of 40GB', html)
        self.assertIn('Used 1.5GB of 4GB', html)
        self.assertIn('Used 4 (No Limit)', html)

    def test_counts_storage_backups_and_links(self):
        res, _limits, _call = self.get()
        html = res.content.decode()
        self.assertIn('data-used="Active=2|Error=1"', html)
        self.assertIn('data-used="mariadb=2|postgresql=1"', html)
        self.assertIn('data-used="33"', html)              # 3 GB used of 9 GB
        self.assertIn('3.0\xa0GB used of 9GB', html)
        self.assertIn('4 backups, 5.0\xa0MB in all', html)
        instance = reverse('horizon:project:databases:detail', args=[I])
        schedule = reverse('horizon:project:database_backups:schedule',
                           args=[I, helpers.uuid_for('nightly')])
        self.assertIn('<a href="%s">nightly</a>' % schedule, html)
        self.assertIn('<a href="%s">db1</a>' % instance, html)
        broken = reverse('horizon:project:databases:detail', args=[OTHER])
        self.assertIn('<a href="%s">broken</a>' % broken, html)
        self.assertIn('The volume is full.', html)

    def test_an_empty_project_says_so_in_words(self):
        res, _limits, _call = self.get(summary=EMPTY)
        html = res.content.decode()
        self.assertNotIn('pie-chart-distribution', html)
        self.assertIn('No instances yet', html)
        self.assertIn('No backup schedule is enabled.', html)
        self.assertIn('No instance has a fault.', html)
        self.assertIn('0 backups, 0\xa0bytes in all', html)

    def test_a_failed_read_leaves_its_sections_out_and_the_page_up(self):
        with mock.patch.object(trove, 'limits', return_value=LIMITS), \
                mock.patch.object(overview_api, 'overview',
                                  side_effect=helpers.api_error(500, 'boom')):
            res = self.client.get(URL)
        self.assertEqual(200, res.status_code)
        html = res.content.decode()
        self.assertIn('Used 3 of 10', html)
        self.assertNotIn('Instances by Status', html)
        self.assertIn('Unable to retrieve the overview.', html)

    def test_an_instances_old_address_redirects_to_its_page(self):
        res = self.client.get('/project/%s/?tab=instance_details__events' % I)
        self.assertRedirectsNoFollow(
            res, reverse('horizon:project:databases:detail', args=[I]) +
            '?tab=instance_details__events')
