"""The Instances panel's Launch Instance button says why it is disabled when a quota is
used up, for one more API call (GET /limits), and stays enabled when it cannot tell."""
import re

from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove

INDEX_URL = reverse('horizon:project:databases:index')
MOCKS = {trove: ('instance_list', 'limits', 'flavor_list', 'datastore_list')}


def limits(**values):
    """GET /limits' ABSOLUTE entry: max_<resource>, and in_use_<resource> when given."""
    body = {'verb': 'ABSOLUTE', 'max_instances': 10, 'max_ram': -1, 'max_volumes': 100,
            'max_backups': 50, 'in_use_instances': 0, 'in_use_ram': 0, 'in_use_volumes': 0,
            'in_use_backups': 0}
    body.update(values)
    return body


class LaunchQuotaTests(helpers.TestCase):

    def render(self, instances, found_limits, next_marker=None):
        self.mock_instance_list.return_value = (instances, next_marker)
        if isinstance(found_limits, Exception):
            self.mock_limits.side_effect = found_limits
        else:
            self.mock_limits.return_value = found_limits
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        return self.client.get(INDEX_URL)

    def launch_button(self, res):
        html = res.content.decode()
        found = re.search(r'<a [^>]*id="instances__action_launch"[^>]*>', html)
        self.assertIsNotNone(found, 'the Launch Instance button')
        return found.group(0)

    def assertDisabledWith(self, res, reason):
        button = self.launch_button(res)
        self.assertRegex(button, r'class="[^"]*\bdisabled\b')
        self.assertNotIn('ajax-modal', button)
        self.assertIn('title="Launch Instance (Quota exceeded: %s)"' % reason, button)

    def assertEnabled(self, res):
        button = self.launch_button(res)
        self.assertNotRegex(button, r'class="[^"]*\bdisabled\b')
        self.assertIn('ajax-modal', button)
        self.assertIn('title="Launch Instance"', button)

    @helpers.create_mocks(MOCKS)
    def test_instances_used_up_disable_it_for_one_more_call(self):
        res = self.render([helpers.named('a'), helpers.named('b')],
                          limits(max_instances=2, in_use_instances=2, in_use_volumes=4))

        self.assertDisabledWith(res, '2 of 2 instances used')
        for mock in (self.mock_instance_list, self.mock_limits, self.mock_flavor_list,
                     self.mock_datastore_list):
            self.assertEqual(1, mock.call_count)
        self.mock_limits.assert_called_once_with(helpers.IsHttpRequest())

    @helpers.create_mocks(MOCKS)
    def test_volume_gigabytes_used_up_disable_it_too(self):
        res = self.render([helpers.named('a')],
                          limits(max_instances=1, in_use_instances=1, max_volumes=2,
                                 in_use_volumes=2))
        self.assertDisabledWith(
            res, '1 of 1 instance used; 2 of 2 GB of volume used')

    @helpers.create_mocks(MOCKS)
    def test_ram_used_up_disables_it(self):
        res = self.render([], limits(max_ram=1024, in_use_ram=1024))
        self.assertDisabledWith(res, '1024 of 1024 MB of RAM used')

    @helpers.create_mocks(MOCKS)
    def test_without_usage_in_the_limits_it_stays_enabled(self):
        # An API without our in_use_<resource> extension: nothing tells what is used.
        found = {'verb': 'ABSOLUTE', 'max_instances': 2}
        self.assertEnabled(self.render([helpers.named('a'), helpers.named('b')], found))

    @helpers.create_mocks(MOCKS)
    def test_a_zero_quota_with_nothing_used_disables_it(self):
        res = self.render([], limits(max_instances=0))
        self.assertDisabledWith(res, '0 of 0 instances used')

    @helpers.create_mocks(MOCKS)
    def test_a_later_page_still_knows_the_whole_projects_usage(self):
        res = self.render([helpers.named('c')], limits(max_instances=2, in_use_instances=2),
                          next_marker='c')
        self.assertDisabledWith(res, '2 of 2 instances used')

    @helpers.create_mocks(MOCKS)
    def test_room_left_or_unlimited_keeps_it_enabled(self):
        res = self.render([helpers.named('a')],
                          limits(max_instances=-1, in_use_instances=7, in_use_volumes=99))
        self.assertEnabled(res)

    @helpers.create_mocks(MOCKS)
    def test_when_the_limits_fail_it_stays_enabled_without_an_error(self):
        res = self.render([helpers.named('a')], helpers.api_error(500, 'boom'))
        self.assertEnabled(res)
        self.assertMessageCount(res, error=0)

    @helpers.create_mocks(MOCKS)
    def test_a_refused_page_does_not_disable_the_next_one(self):
        # Table actions are shared by every request: the disabled copy must not leak.
        self.assertDisabledWith(
            self.render([], limits(max_instances=0)), '0 of 0 instances used')
        self.assertEnabled(self.render([], limits(max_instances=3)))
