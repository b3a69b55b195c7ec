"""Replica sets in the dashboard (#17): the Replication tab (members with lag, switchover
reports and their downtime timeline), the Overview's links to the source and replicas,
Promote/Eject/Detach offered by the row's state and role with confirmations that name every
member, and Launch as a replica."""
import re
import types

from django.test.utils import override_settings
from django.urls import reverse
from openstack_auth import policy as auth_policy

from tests.dashboard import helpers
from tests.dashboard import test_launch
from trove_dashboard.api import replication as replication_api
from trove_dashboard.api import trove
from trove_dashboard.content.databases import replication_tab

INDEX_URL = reverse('horizon:project:databases:index')
DETAIL_CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events')
LIST_CALLS = ('instance_list', 'flavor_list', 'datastore_list')
SET_CALLS = ('replica_set', 'switchovers')

SOURCE, R1, R2 = helpers.uuid_for('src'), helpers.uuid_for('r1'), helpers.uuid_for('r2')


def ref(instance_id):
    return {'id': instance_id, 'links': []}


def source(status='ACTIVE'):
    return helpers.named('src', status, replicas=[ref(R1), ref(R2)])


def replica(label='r1', status='ACTIVE'):
    return helpers.named(label, status, replica_of=ref(SOURCE))


def standalone(status='ACTIVE'):
    return helpers.named('alone', status)


def member(label, role, status='ACTIVE', lag=None, healthy=True):
    return {'id': helpers.uuid_for(label), 'name': label, 'role': role, 'status': status,
            'lag_seconds': lag, 'healthy': healthy}


def replica_set(r1_status='ACTIVE', src_status='ACTIVE'):
    return {'source': {'id': SOURCE, 'name': 'src', 'status': src_status},
            'members': [member('r2', 'replica', lag=1.5),
                        member('src', 'source', src_status, healthy=True),
                        member('r1', 'replica', r1_status, lag=0.25)]}


def report(operation='promote', status='completed', **extra):
    body = {'id': 'sw-1', 'operation': operation, 'status': status,
            'started': '2026-12-08T01:00:00.000000Z', 'finished': '2026-12-08T01:00:10.000000Z',
            'old_source': {'id': SOURCE, 'name': 'src'},
            'new_source': {'id': R1, 'name': 'r1'}, 'detection_seconds': None,
            'write_stopped_at': '2026-12-08T01:00:04.000000Z',
            'write_resumed_at': '2026-12-08T01:00:04.842000Z',
            'write_downtime_seconds': 0.842, 'transactions_lost': 0, 'canary_writes': 812,
            'canary_failures': 71, 'message': None}
    body.update(extra)
    return types.SimpleNamespace(**body)


def datastores_with_replication():
    found = helpers.datastore_list()
    found[0].versions[0]['capabilities'].append('replication')
    return found


def detail_url(instance_id, tab=None):
    url = reverse('horizon:project:databases:detail', args=[instance_id])
    return url + ('?tab=instance_details__%s' % tab if tab else '')


class DetailTestCase(helpers.TestCase):

    def mock_detail(self, instance):
        self.mock_instance_get.return_value = instance
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = datastores_with_replication()
        self.mock_instance_events.return_value = []


class ReplicationTabTests(DetailTestCase):

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: SET_CALLS})
    def test_members_with_lag_and_reports_with_their_downtime_drawn(self):
        self.mock_detail(replica())
        self.mock_replica_set.return_value = replica_set()
        self.mock_switchovers.return_value = [report()]

        res = self.client.get(detail_url(R1, 'replication'))

        self.assertTemplateUsed(res, 'project/databases/_detail_replication.html')
        html = res.content.decode()
        members = res.context['replication_members_table'].data
        self.assertEqual(['src', 'r1', 'r2'], [m.name for m in members])   # source first
        self.assertIn('0.25 s', html)
        self.assertIn('1.50 s', html)
        self.assertIn('0.842 s', html)           # the report's write downtime
        self.assertIn('812 written, 71 not acknowledged', html)
        svg = re.search(r'<svg.*?</svg>', html, re.S).group(0)
        self.assertIn('switchover-downtime-segment', svg)
        self.assertIn('writes stopped 0.842 s', svg)
        self.assertIn('10.0 s', svg)             # the operation's span
        self.mock_replica_set.assert_called_with(helpers.IsHttpRequest(), R1)
        self.mock_switchovers.assert_called_once_with(helpers.IsHttpRequest(), R1)

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: SET_CALLS})
    def test_a_member_that_did_not_answer_has_unknown_lag(self):
        self.mock_detail(replica())
        found = replica_set()
        found['members'][0].update(lag_seconds=None, healthy=None)
        self.mock_replica_set.return_value = found
        self.mock_switchovers.return_value = []
        html = self.client.get(detail_url(R1, 'replication')).content.decode()
        self.assertIn('Unknown', html)
        self.assertIn('No answer', html)
        self.assertNotIn('<svg', html)           # no report, no chart

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: SET_CALLS})
    def test_a_member_with_a_problem_shows_what_to_do(self):
        self.mock_detail(replica())
        found = replica_set()
        found['members'][1].update(lag_seconds=None, healthy=False, reason='slot_lost',
                                   problem='The API says so.')
        found['members'][2].update(lag_seconds=None, healthy=False, reason='new_code',
                                   problem='A reason the dashboard does not know.')
        self.mock_replica_set.return_value = found
        self.mock_switchovers.return_value = []
        html = self.client.get(detail_url(R1, 'replication')).content.decode()
        # A known code in the dashboard's (translated) words, another in the API's.
        self.assertIn('its replication slot is gone', html)
        self.assertNotIn('The API says so.', html)
        self.assertIn('A reason the dashboard does not know.', html)

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: SET_CALLS})
    def test_a_set_that_cannot_be_read_is_not_called_standalone(self):
        self.mock_detail(replica())
        self.mock_replica_set.side_effect = helpers.api_error(500, 'boom')
        self.mock_switchovers.return_value = []
        html = self.client.get(detail_url(R1, 'replication')).content.decode()
        self.assertNotIn('This instance is not in a replica set.', html)

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: SET_CALLS})
    def test_a_standalone_instance_says_so_and_still_lists_its_past_reports(self):
        self.mock_detail(standalone())
        self.mock_replica_set.return_value = None
        self.mock_switchovers.return_value = [report('eject', detection_seconds=12.5,
                                                     write_stopped_at=None,
                                                     transactions_lost=None)]
        res = self.client.get(detail_url(standalone().id, 'replication'))
        html = res.content.decode()
        self.assertIn('This instance is not in a replica set.', html)
        self.assertIn('12.5 s', html)            # detection
        self.assertIn('switchover-downtime-segment', html)   # ends where writes resumed

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_no_tab_for_a_version_without_replication(self):
        self.mock_detail(standalone())
        self.mock_datastore_list.return_value = helpers.datastore_list()
        tab_group = self.client.get(detail_url(standalone().id)).context['tab_group']
        self.assertNotIn('replication', [t.slug for t in tab_group.get_tabs()])

    def test_the_downtime_segment_sits_where_writes_stopped_on_one_scale(self):
        long_one = report(finished='2026-12-08T01:00:20.000000Z')
        chart = replication_tab.timeline([report(), long_one])
        width = chart['bar_right'] - chart['bar_left']
        first, second = chart['rows']
        self.assertEqual(round(width / 2, 1), first['span_w'])      # 10 s of 20 s
        self.assertEqual(width, second['span_w'])
        self.assertEqual(chart['bar_left'] + round(width * 4 / 20, 1), first['downtime']['x'])
        self.assertEqual(round(width * 0.842 / 20, 1), first['downtime']['w'])
        brief = replication_tab.timeline([long_one, report(write_downtime_seconds=0.01)])
        self.assertEqual(replication_tab.MIN_SEGMENT, brief['rows'][1]['downtime']['w'])
        self.assertEqual('0.842 s', str(first['downtime']['label']))
        self.assertIsNone(replication_tab.timeline([]))


class OverviewLinkTests(DetailTestCase):

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: ('replica_set',)})
    def test_a_replica_links_to_its_source_by_name(self):
        self.mock_detail(replica())
        self.mock_replica_set.return_value = replica_set()
        html = self.client.get(detail_url(R1)).content.decode()
        self.assertInHTML('<dd class="instance-replica-of"><a href="%s">src</a></dd>'
                          % detail_url(SOURCE), html)

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: ('replica_set',)})
    def test_a_source_links_to_its_replicas(self):
        self.mock_detail(source())
        self.mock_replica_set.return_value = replica_set()
        html = self.client.get(detail_url(SOURCE)).content.decode()
        self.assertInHTML('<dd class="instance-replicas"><a href="%s">r2</a>, '
                          '<a href="%s">r1</a></dd>' % (detail_url(R2), detail_url(R1)), html)

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: ('replica_set',)})
    def test_links_by_id_when_the_set_cannot_be_read(self):
        self.mock_detail(replica())
        self.mock_replica_set.side_effect = helpers.api_error(500, 'boom')
        html = self.client.get(detail_url(R1)).content.decode()
        self.assertInHTML('<dd class="instance-replica-of"><a href="%s">%s</a></dd>'
                          % (detail_url(SOURCE), SOURCE), html)

    @helpers.create_mocks({trove: DETAIL_CALLS, replication_api: ('replica_set',)})
    def test_a_standalone_instance_asks_nothing(self):
        self.mock_detail(standalone())
        html = self.client.get(detail_url(standalone().id)).content.decode()
        self.assertNotIn('Replica Of', html)
        self.mock_replica_set.assert_not_called()


class ActionsOfferedTests(helpers.TestCase):

    def row_actions(self, *instances):
        self.mock_instance_list.return_value = (list(instances), None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = datastores_with_replication()
        table = self.client.get(INDEX_URL).context['table']
        return {row.name: {a.name for a in table.get_row_actions(row)
                           if a.name in ('promote', 'eject', 'detach_replica')}
                for row in table.data}

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_by_role_and_state(self):
        found = self.row_actions(source('SHUTDOWN'), replica('r1'), replica('r2', 'BUILD'),
                                 standalone())
        self.assertEqual({'eject'}, found['src'])          # a source that is gone
        self.assertEqual({'promote', 'detach_replica'}, found['r1'])
        self.assertEqual(set(), found['r2'])              # not while it builds
        self.assertEqual(set(), found['alone'])

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_nothing_on_a_member_in_motion(self):
        found = self.row_actions(source('EJECT'), replica('r1', 'PROMOTE'))
        self.assertEqual(set(), found['src'])
        self.assertEqual(set(), found['r1'])

    @helpers.create_mocks({trove: LIST_CALLS})
    @override_settings(POLICY_CHECK_FUNCTION='trove_dashboard.policy.check')
    def test_policy_names_the_apis_rules(self):
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)
        self._setup_user(roles=[{'id': '3', 'name': 'reader'}])
        found = self.row_actions(source(), replica('r1'))
        self.assertEqual(set(), found['src'] | found['r1'])


class ConfirmationTests(helpers.TestCase):

    def confirm(self, operation, instance, found):
        self.mock_instance_get.return_value = instance
        self.mock_replica_set.return_value = found
        return self.client.get(reverse('horizon:project:databases:%s' % operation,
                                       args=[instance.id]))

    def whats(self, res):
        return {m['name']: str(m['what']) for m in res.context['consequences']['members']}

    @helpers.create_mocks({trove: ('instance_get',), replication_api: ('replica_set',)})
    def test_promote_names_every_member_and_what_happens(self):
        res = self.confirm('promote', replica(), replica_set())
        self.assertTemplateUsed(res, 'project/databases/replication_confirm.html')
        self.assertEqual({'r1': 'Becomes the source: takes writes.',
                          'src': 'Stops taking writes, then becomes a replica of r1.',
                          'r2': 'Follows r1 instead of src.'}, self.whats(res))
        html = res.content.decode()
        self.assertIn('r1 becomes the source of the set and takes the writes. Writes stop on '
                      'src until every replica has caught up and r1 is promoted', html)
        self.assertIn('Clients must then connect to r1.', html)
        self.assertNotIn('replication-blocked', html)

    @helpers.create_mocks({trove: ('instance_get',), replication_api: ('replica_set',)})
    def test_promote_says_which_member_keeps_it_from_being_accepted(self):
        res = self.confirm('promote', replica(), replica_set(src_status='SHUTDOWN'))
        self.assertIn('src is Shut down: the service accepts this only while it is Active.',
                      res.content.decode())

    @helpers.create_mocks({trove: ('instance_get',), replication_api: ('replica_set',)})
    def test_eject_names_the_source_and_every_replica(self):
        res = self.confirm('eject', source('SHUTDOWN'), replica_set(src_status='SHUTDOWN'))
        whats = self.whats(res)
        self.assertIn('it ends in ERROR with a fault', whats['src'])
        self.assertIn('most advanced replica', whats['r1'])
        self.assertIn('most advanced replica', whats['r2'])
        self.assertIn('Writes src took that no replica received are lost.',
                      res.content.decode())

    @helpers.create_mocks({trove: ('instance_get',), replication_api: ('replica_set',)})
    def test_detach_leaves_the_others_as_they_are(self):
        res = self.confirm('detach_replica', replica(), replica_set())
        self.assertEqual({'r1': 'Becomes a standalone instance: takes writes, keeps its data.',
                          'src': 'Stays the source of r2.',
                          'r2': 'Not changed: keeps following src.'}, self.whats(res))

    @helpers.create_mocks({trove: ('instance_get',), replication_api: ('replica_set',)})
    def test_members_by_id_when_the_set_cannot_be_read(self):
        self.mock_instance_get.return_value = source()
        self.mock_replica_set.side_effect = helpers.api_error(500, 'boom')
        res = self.client.get(reverse('horizon:project:databases:eject', args=[SOURCE]))
        self.assertEqual({'src', R1, R2}, set(self.whats(res)))
        self.assertIn('replication-partial', res.content.decode())

    @helpers.create_mocks({trove: ('instance_get',),
                           replication_api: ('replica_set', 'promote')})
    def test_confirming_promotes_and_opens_the_replication_tab(self):
        self.mock_instance_get.return_value = replica()
        self.mock_replica_set.return_value = replica_set()
        url = reverse('horizon:project:databases:promote', args=[R1])
        res = self.client.post(url, {'instance_id': R1, 'instance_name': 'r1'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, detail_url(R1, 'replication'))
        self.mock_promote.assert_called_once_with(helpers.IsHttpRequest(), R1)
        self.assertMessageCount(success=1)

    @helpers.create_mocks({trove: ('instance_get',),
                           replication_api: ('replica_set', 'eject', 'detach')})
    def test_eject_and_detach_make_their_call(self):
        self.mock_instance_get.return_value = source()
        self.mock_replica_set.return_value = replica_set()
        self.client.post(reverse('horizon:project:databases:eject', args=[SOURCE]),
                         {'instance_id': SOURCE})
        self.mock_eject.assert_called_once_with(helpers.IsHttpRequest(), SOURCE)
        self.mock_instance_get.return_value = replica()
        self.client.post(reverse('horizon:project:databases:detach_replica', args=[R1]),
                         {'instance_id': R1})
        self.mock_detach.assert_called_once_with(helpers.IsHttpRequest(), R1)

    @helpers.create_mocks({trove: ('instance_get',),
                           replication_api: ('replica_set', 'eject')})
    def test_a_refusal_stays_in_the_dialog_in_the_apis_words(self):
        self.mock_instance_get.return_value = source()
        self.mock_replica_set.return_value = replica_set()
        message = "The source 'src' still answers: promote a replica instead."
        self.mock_eject.side_effect = helpers.api_error(409, message)
        res = self.client.post(reverse('horizon:project:databases:eject', args=[SOURCE]),
                               {'instance_id': SOURCE})
        self.assertEqual([message], res.context['form'].non_field_errors())


class LaunchReplicaTests(test_launch.LaunchTestCase):

    @helpers.create_mocks({trove: test_launch.CATALOGUE_CALLS + (
        'instance_list', 'instance_create')})
    def test_launch_as_replica_sends_replica_of_and_replica_count(self):
        self.mock_catalogue(datastores_with_replication())
        src = helpers.named('src')
        self.mock_instance_list.return_value = ([src, replica('r1')], None)
        self.mock_instance_create.return_value = helpers.instance('BUILD')

        form = self.client.get(test_launch.LAUNCH_URL).context['workflow']
        sources = form.get_step('advanced').action.fields['replica_of'].choices
        self.assertEqual([src.id], [v for v, _l in sources if v])   # not a replica

        res = self.client.post(test_launch.LAUNCH_URL, test_launch.form_data(
            initial_state='replica', replica_of=src.id, replica_count='2'))

        self.assertNoWorkflowErrors(res)
        self.mock_instance_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'shop', '2', {'size': 1, 'type': 'standard'}, 'mariadb',
            '10.11', nics=[{'net-id': helpers.DEFAULT_NETWORK_ID}], replica_of=src.id,
            replica_count=2)
