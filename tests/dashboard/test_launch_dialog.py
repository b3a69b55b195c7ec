"""Launch Instance, what the dialog says before anything is sent (issue #14): the
project's quota usage and what the launch adds, a launch that does not fit refused in
words, the volume size's range, every bad CIDR, and fields the version cannot use
hidden or explained on the spot."""
import json
import re
import types

from django.urls import reverse

from tests.dashboard import helpers
from tests.dashboard.test_launch import CATALOGUE_CALLS, LaunchTestCase, form_data
from tests.dashboard.test_launch_quota import limits
from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as cat

LAUNCH_URL = reverse('horizon:project:databases:launch')
CHOICES_URL = reverse('horizon:project:databases:launch_choices')
INDEX_URL = reverse('horizon:project:databases:index')
WITH_LIMITS = CATALOGUE_CALLS + ('limits',)


def quota_limits(**values):
    values.setdefault('max_volume_size', 100)
    return limits(**values)


def element(html, pattern):
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(0)


class QuotaUsageTests(LaunchTestCase):

    def render(self, found_limits):
        self.mock_catalogue()
        self.mock_limits.return_value = found_limits
        return self.client.get(LAUNCH_URL)

    @helpers.create_mocks({trove: WITH_LIMITS})
    def test_usage_of_each_resource_a_launch_takes_for_one_limits_call(self):
        res = self.render(quota_limits(max_instances=4, in_use_instances=1, max_volumes=20,
                                       in_use_volumes=5, max_ram=2048, in_use_ram=1024))
        html = res.content.decode()

        self.mock_limits.assert_called_once_with(helpers.IsHttpRequest())
        self.assertIn('Project Limits', html)
        instances = element(html, r'<div class="launch-quota-resource" '
                                  r'data-quota-resource="instances"[^>]*>')
        self.assertIn('data-quota-used="1" data-quota-limit="4"', instances)
        self.assertIn('data-quota-refusal="This launch needs %(need)s of your instance '
                      'quota; %(left)s of %(limit)s is left."', instances)
        self.assertIn('1 of 4 used', html)
        self.assertIn('5 of 20 GB used', html)
        self.assertIn('1024 of 2048 MB used', html)
        # Horizon's quota bar markup: what is used (50% of the RAM), then this launch's bar.
        ram_bar = html[html.index('id="launch_quota_ram"'):]
        self.assertRegex(ram_bar[:600], r'aria-valuenow="50"[^>]*style="width: 50%;"')
        # Each flavor tells launch.js its RAM, so the RAM bar follows the flavor.
        for value, ram in (('1', 256), ('2', 512), ('3', 1024)):
            self.assertRegex(html, r'<option value="%s" data-ram="%d"' % (value, ram))

    @helpers.create_mocks({trove: WITH_LIMITS})
    def test_an_unlimited_resource_says_so(self):
        html = self.render(quota_limits(max_ram=-1, in_use_ram=768)).content.decode()
        self.assertIn('768 used (no limit)', html)

    @helpers.create_mocks({trove: WITH_LIMITS})
    def test_limits_that_fail_leave_the_form_without_bars(self):
        self.mock_catalogue()
        self.mock_limits.side_effect = helpers.api_error(500, 'boom')
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(200, res.status_code)
        self.assertNotIn('Project Limits', res.content.decode())
        self.assertMessageCount(res, error=0)


class QuotaRefusalTests(LaunchTestCase):

    def post(self, found_limits, **data):
        self.mock_catalogue()
        self.mock_limits.return_value = found_limits
        self.mock_instance_create.return_value = helpers.instance('BUILD')
        return self.client.post(LAUNCH_URL, form_data(**data))

    @helpers.create_mocks({trove: WITH_LIMITS + ('instance_create',)})
    def test_a_flavor_over_the_ram_quota_is_refused_on_the_flavor_in_words(self):
        res = self.post(quota_limits(max_ram=1024, in_use_ram=768), flavor='2')   # 512 MB

        self.assertEqual(
            ['This launch needs 512 MB of RAM; 256 MB is left of your 1024 MB quota.'],
            self.step_errors(res, 'details')['flavor'])
        self.assertEqual('details', self.workflow(res).get_entry_point())
        self.mock_instance_create.assert_not_called()

    @helpers.create_mocks({trove: WITH_LIMITS + ('instance_create',)})
    def test_a_volume_over_the_volume_quota_is_refused_on_the_volume(self):
        res = self.post(quota_limits(max_volumes=10, in_use_volumes=8), volume='3')
        self.assertEqual(['This launch needs 3 GB of volume storage; 2 GB is left of your '
                          '10 GB quota.'], self.step_errors(res, 'details')['volume'])
        self.mock_instance_create.assert_not_called()

    @helpers.create_mocks({trove: WITH_LIMITS + ('instance_create',)})
    def test_used_up_instances_are_refused_atop_details(self):
        res = self.post(quota_limits(max_instances=2, in_use_instances=2))
        self.assertEqual(['This launch needs 1 of your instance quota; 0 of 2 is left.'],
                         self.step_errors(res, 'details')['__all__'])
        self.mock_instance_create.assert_not_called()

    @helpers.create_mocks({trove: WITH_LIMITS + ('instance_create',)})
    def test_a_launch_that_fits_exactly_is_sent(self):
        res = self.post(quota_limits(max_ram=1024, in_use_ram=512, max_volumes=10,
                                     in_use_volumes=7, max_instances=3, in_use_instances=2),
                        flavor='2', volume='3')
        self.assertNoWorkflowErrors(res)
        self.mock_instance_create.assert_called_once()

    @helpers.create_mocks({trove: WITH_LIMITS + ('instance_create',)})
    def test_unknown_limits_leave_the_refusal_to_the_api(self):
        self.mock_catalogue()
        self.mock_limits.side_effect = helpers.api_error(500, 'boom')
        self.mock_instance_create.return_value = helpers.instance('BUILD')
        res = self.client.post(LAUNCH_URL, form_data(volume='99'))
        self.assertNoWorkflowErrors(res)
        self.mock_instance_create.assert_called_once()


class VolumeSizeTests(LaunchTestCase):

    @helpers.create_mocks({trove: WITH_LIMITS})
    def test_the_range_is_shown_before_anything_is_sent(self):
        self.mock_catalogue()
        self.mock_limits.return_value = quota_limits(max_volume_size=100)
        html = self.client.get(LAUNCH_URL).content.decode()
        self.assertIn('Volume Size (1\u2013100 GB)', html)
        volume = element(html, r'<input[^>]*name="volume"[^>]*>')
        self.assertIn('min="1"', volume)
        self.assertIn('max="100"', volume)

    @helpers.create_mocks({trove: WITH_LIMITS + ('instance_create',)})
    def test_a_size_out_of_range_is_refused_in_words_naming_no_api_field(self):
        self.mock_catalogue()
        self.mock_limits.return_value = quota_limits(max_volume_size=100, max_volumes=1000)
        for size in ('500', '0'):
            res = self.client.post(LAUNCH_URL, form_data(volume=size))
            self.assertEqual(['Volume size must be between 1 and 100 GB.'],
                             self.step_errors(res, 'details')['volume'], size)
        self.mock_instance_create.assert_not_called()


class CidrTests(LaunchTestCase):

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_every_bad_cidr_is_named_at_once(self):
        self.mock_catalogue()
        res = self.client.post(LAUNCH_URL, form_data(
            is_public='on', allowed_cidrs='10.0.0.0/24, 10.0.0/8, abc, 10.1.0.0/16'))
        self.assertEqual(['Not valid CIDRs: 10.0.0/8, abc. Write each network in CIDR '
                          'notation, such as 10.0.0.0/24.'],
                         self.step_errors(res, 'access')['allowed_cidrs'])
        self.mock_instance_create.assert_not_called()


def with_caps(versions_caps):
    """The fixture catalogue, MariaDB's and Redis' capabilities replaced."""
    datastores = helpers.datastore_list()
    for datastore, caps in zip(datastores, versions_caps):
        datastore.versions[0]['capabilities'] = list(caps)
    return datastores


class WhatTheVersionCanDoTests(LaunchTestCase):

    def get(self, datastores, **mocks):
        self.mock_catalogue(datastores)
        for name, value in mocks.items():
            getattr(self, 'mock_' + name).return_value = value
        return self.client.get(LAUNCH_URL)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('backup_list',)})
    def test_replica_is_no_choice_while_no_version_declares_replication(self):
        res = self.get(with_caps([['backups', 'databases', 'users'], ['root']]),
                       backup_list=[])
        field = self.workflow(res).get_step('advanced').action.fields['initial_state']
        self.assertEqual(['', 'backup'], [v for v, _l in field.choices])
        html = res.content.decode()
        self.assertNotIn('Replica of an instance', html)
        self.assertNotIn('Replicas are not available', html)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('backup_list',)})
    def test_replica_is_disabled_for_a_version_without_it_when_another_has_it(self):
        res = self.get(with_caps([['backups'], ['replication', 'root']]), backup_list=[])
        html = res.content.decode()
        self.assertInHTML('<option value="replica" data-launch-feature="replication" '
                          'disabled>Replica of an instance</option>', html)
        self.assertInHTML('<option value="backup" data-launch-feature="backups">'
                          'Restore from a backup</option>', html)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('backup_list',)})
    def test_a_replica_posted_for_a_version_without_it_is_refused(self):
        self.mock_catalogue(with_caps([['backups'], ['replication', 'root']]))
        self.mock_backup_list.return_value = []
        res = self.client.post(LAUNCH_URL, form_data(initial_state='replica'))
        self.assertEqual(['Not available for this datastore version.'],
                         self.step_errors(res, 'advanced')['initial_state'])

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('configuration_list',)})
    def test_no_configuration_group_yet_says_where_to_make_one(self):
        res = self.get(with_caps([['configuration'], ['root']]), configuration_list=[])
        note = element(res.content.decode(),
                       r'<p class="help-block launch-note" data-launch-note='
                       r'"configuration-none"[^>]*>.*?</p>')
        self.assertNotIn('hidden', note)
        self.assertIn('No configuration group is made for this datastore version yet.', note)
        self.assertIn('href="%s"' % reverse('horizon:project:database_configurations:index'),
                      note)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('configuration_list',)})
    def test_with_groups_of_the_version_the_note_is_hidden(self):
        group = types.SimpleNamespace(id='g1', name='tuned',
                                      datastore_version_id=helpers.MARIADB_1011)
        res = self.get(with_caps([['configuration'], ['root']]), configuration_list=[group])
        note = element(res.content.decode(), r'<p [^>]*data-launch-note="configuration-none"'
                                             r'[^>]*>')
        self.assertIn(' hidden', note)

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_without_the_capability_the_fields_are_marked_hidden(self):
        res = self.get(helpers.datastore_list())
        advanced = self.workflow(res).get_step('advanced').action
        for name in ('configuration', 'initial_state'):
            self.assertTrue(advanced.fields[name].disabled, name)
            self.assertEqual('true', advanced.fields[name].widget.attrs['data-launch-hide'])
        # Modules: the whole group (label and container) hidden, not a label over nothing.
        self.assertRegex(res.content.decode(),
                         r'<div class="form-group launch-modules"\s*hidden>')

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('module_list',)})
    def test_modules_of_a_version_that_takes_them_stay_visible(self):
        res = self.get(with_caps([['modules'], ['root']]), module_list=[])
        self.assertRegex(res.content.decode(), r'<div class="form-group launch-modules">')


class VolumeTypeDescriptionTests(LaunchTestCase):

    LONG = ('Data directories on the fast volume root, kept on local solid-state disks '
            'with nightly snapshots.')

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_a_long_description_is_cut_at_a_word_and_shown_whole_under_the_select(self):
        self.mock_catalogue()
        self.mock_version_volume_types.return_value = [
            types.SimpleNamespace(name='fast', description=self.LONG)]
        html = self.client.get(LAUNCH_URL).content.decode()

        option = element(html, r'<option value="fast"[^>]*>[^<]*</option>')
        label = re.search(r'>([^<]*)<', option).group(1)
        self.assertEqual('fast: Data directories on the fast volume\u2026', label)
        self.assertIn('title="%s"' % self.LONG, option)
        self.assertInHTML('<p class="help-block launch-note" '
                          'data-launch-note="volume-type-description">%s</p>' % self.LONG, html)

    def test_shortened_cuts_at_a_word(self):
        self.assertEqual('short', cat.shortened('short', 10))
        self.assertEqual('one two\u2026', cat.shortened('one two three', 10))
        self.assertEqual('abcdefghi\u2026', cat.shortened('abcdefghijklmnop', 10))

    @helpers.create_mocks({trove: ('datastore_list', 'version_flavors',
                                   'version_volume_types')})
    def test_the_choices_of_another_version_carry_ram_and_descriptions(self):
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_version_flavors.return_value = helpers.flavor_list()[:2]
        self.mock_version_volume_types.return_value = helpers.volume_type_list()
        body = json.loads(self.client.get(CHOICES_URL,
                                          {'datastore_version': helpers.REDIS_REF}).content)
        self.assertEqual('redis', body['datastore'])
        self.assertEqual({'1': 256, '2': 512}, body['flavor_ram'])
        self.assertEqual({'standard': 'Default root', 'fast': 'Fast root'},
                         body['volume_type_descriptions'])
