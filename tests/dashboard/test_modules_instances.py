"""An instance's modules: the Apply Module action and dialog, the Modules tab from the guest's
answer (OK and FAILED rows, Remove), downloading a module, and a guest that does not answer."""
import base64
import copy
import html
from unittest import mock

from django.urls import reverse
from troveclient.v1 import modules as trove_modules

from tests.dashboard import helpers
from tests.dashboard import test_modules
from trove_dashboard.api import modules as modules_api
from trove_dashboard.api import trove
from trove_dashboard.content.databases import module_forms
from trove_dashboard.content.databases import module_views

I = helpers.INSTANCE_ID
INDEX_URL = reverse('horizon:project:databases:index')
DETAIL_URL = reverse('horizon:project:databases:detail', args=[I])
TAB_URL = DETAIL_URL + '?tab=instance_details__modules'
APPLY_URL = reverse('horizon:project:databases:apply_module', args=[I])
INSTANCE_CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events')
LIST_CALLS = ('instance_list', 'flavor_list', 'datastore_list')
APPLY_CALLS = ('module_list_for', 'instance_module_list')


def applied(label, status='OK', message=None, contents=None, **extra):
    """A guest result, as GET /instances/{id}/modules?from_guest=True gives it."""
    body = {'id': helpers.uuid_for('module-' + label), 'name': label, 'type': 'file',
            'tenant': 'p', 'datastore': 'mariadb', 'datastore_version': '10.11',
            'md5': '5d41402abc4b2a76b9719d911017c592', 'status': status, 'message': message,
            'filename': 'mariadb-10.11-%s.lic' % label, 'installed': '2026-11-22T01:06:00',
            'created': '2026-11-22T01:06:00', 'updated': '2026-11-22T01:07:00',
            'removed': None, 'auto_apply': False, 'visible': True, 'priority_apply': False,
            'apply_order': 5, 'is_admin': False}
    if contents is not None:
        body['contents'] = base64.b64encode(contents).decode()
    body.update(extra)
    return trove_modules.Module(trove_modules.Modules(None), copy.deepcopy(body), loaded=True)


def download_url(label):
    return reverse('horizon:project:databases:download_module',
                   args=[I, helpers.uuid_for('module-' + label)])


def page(res):
    return html.unescape(res.content.decode())


class InstanceModuleTests(helpers.TestCase):

    def mock_instance(self, instance=None):
        self.mock_instance_get.return_value = instance or helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = test_modules.datastore_list()
        self.mock_instance_events.return_value = []

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_apply_module_is_offered_for_running_instances_of_versions_with_modules(self):
        rows = [helpers.named('a'), helpers.named('b', status='BUILD'),
                helpers.named('c', datastore='redis', version='7.0')]
        self.mock_instance_list.return_value = (rows, None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = test_modules.datastore_list()
        table = self.client.get(INDEX_URL).context['table']
        offered = {r.name: 'apply_module' in {a.name for a in table.get_row_actions(r)}
                   for r in table.data}
        self.assertEqual({'a': True, 'b': False, 'c': False}, offered)

    @helpers.create_mocks({trove: ('instance_get',), modules_api: APPLY_CALLS})
    def test_apply_dialog_offers_the_modules_that_fit_the_instance(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_instance_module_list.return_value = []
        self.mock_module_list_for.return_value = [
            test_modules.module('licence'),
            test_modules.module('everywhere', datastore='all', datastore_version='all'),
            test_modules.module('any-mariadb', datastore_version='all'),
            test_modules.module('old-mariadb', datastore_version='10.6')]
        form = self.client.get(APPLY_URL).context['form']
        self.assertEqual(['any-mariadb', 'everywhere', 'licence'],
                         [label for _id, label in form.fields['modules'].choices])
        self.mock_module_list_for.assert_called_once_with(helpers.IsHttpRequest(), 'mariadb')

    @helpers.create_mocks({trove: ('instance_get',), modules_api: APPLY_CALLS})
    def test_modules_already_applied_are_marked_from_the_recorded_list(self):
        self.mock_instance_get.return_value = helpers.instance()
        licence, tuning = test_modules.module('licence'), test_modules.module('tuning')
        self.mock_module_list_for.return_value = [licence, tuning]
        self.mock_instance_module_list.return_value = [applied('licence')]
        res = self.client.get(APPLY_URL)
        self.assertEqual(
            {licence.id: 'licence (applied; applying again uses its current contents)',
             tuning.id: 'tuning'},
            {value: str(label) for value, label in res.context['form'].fields['modules'].choices})
        self.assertIn('licence (applied; applying again uses its current contents)', page(res))
        # The recorded list: one call, never the guest's.
        self.mock_instance_module_list.assert_called_once_with(helpers.IsHttpRequest(), I)

    @helpers.create_mocks({trove: ('instance_get',), modules_api: APPLY_CALLS})
    def test_with_no_module_fitting_the_dialog_says_so_and_offers_no_apply(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_module_list_for.return_value = [
            test_modules.module('old-mariadb', datastore_version='10.6')]
        self.mock_instance_module_list.return_value = []
        for headers in ({}, {'HTTP_X_REQUESTED_WITH': 'XMLHttpRequest'}):
            text = page(self.client.get(APPLY_URL, **headers))
            self.assertIn('No module fits mariadb 10.11: create one on the Modules panel.',
                          text)
            self.assertNotIn('name="modules"', text)
            self.assertInHTML('<input class="btn btn-primary" type="submit" value="Apply" '
                              'disabled>', text)

    @helpers.create_mocks({trove: ('instance_get',), modules_api: APPLY_CALLS})
    def test_with_modules_fitting_apply_is_enabled(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_module_list_for.return_value = [test_modules.module('licence')]
        self.mock_instance_module_list.return_value = []
        text = page(self.client.get(APPLY_URL))
        self.assertInHTML('<input class="btn btn-primary" type="submit" value="Apply">', text)
        self.assertNotIn('No module fits', text)

    @helpers.create_mocks({trove: ('instance_get',),
                           modules_api: APPLY_CALLS + ('instance_module_apply',)})
    def test_apply_sends_the_chosen_ids_and_reports_each_result(self):
        self.mock_instance_get.return_value = helpers.instance()
        ok, bad = test_modules.module('licence'), test_modules.module('broken')
        self.mock_instance_module_list.return_value = []
        self.mock_module_list_for.return_value = [ok, bad]
        self.mock_instance_module_apply.return_value = [
            applied('licence'), applied('broken', 'FAILED', 'The licence file is empty.')]
        with mock.patch.object(module_forms, 'messages') as said:
            res = self.client.post(APPLY_URL, {'instance_id': I, 'modules': [ok.id, bad.id]})
        self.mock_instance_module_apply.assert_called_once_with(
            helpers.IsHttpRequest(), I, [ok.id, bad.id])
        self.assertRedirectsNoFollow(res, TAB_URL)
        self.assertEqual(['Applied module "licence".'],
                         [str(c.args[1]) for c in said.success.call_args_list])
        self.assertEqual(['Module "broken" failed: The licence file is empty.'],
                         [str(c.args[1]) for c in said.error.call_args_list])

    @helpers.create_mocks({trove: ('instance_get',),
                           modules_api: APPLY_CALLS + ('instance_module_apply',)})
    def test_the_apis_refusal_of_apply_is_on_the_field(self):
        self.mock_instance_get.return_value = helpers.instance()
        found = test_modules.module('licence')
        self.mock_module_list_for.return_value = [found]
        self.mock_instance_module_list.return_value = []
        message = "Module 'licence' is for redis; the instance runs mariadb 10.11."
        self.mock_instance_module_apply.side_effect = helpers.api_error(400, message)
        res = self.client.post(APPLY_URL, {'instance_id': I, 'modules': [found.id]})
        self.assertEqual([message], res.context['form'].errors['modules'])

    @helpers.create_mocks({trove: INSTANCE_CALLS, modules_api: ('instance_module_query',)})
    def test_modules_tab_shows_the_guests_answer(self):
        self.mock_instance()
        self.mock_instance_module_query.return_value = [
            applied('licence'), applied('broken', 'FAILED', 'The licence file is empty.',
                                        md5='0cc175b9c0f1b6a831c399e269772661')]
        res = self.client.get(TAB_URL)
        text = page(res)
        self.assertIn('Modules', [str(t.name) for t in res.context['tab_group'].get_tabs()])
        for expected in ('licence', 'broken', 'The licence file is empty.', 'file',
                         '5d41402abc4b2a76b9719d911017c592',
                         '0cc175b9c0f1b6a831c399e269772661', '2026-11-22 01:07:00',
                         'href="%s"' % download_url('licence')):
            self.assertIn(expected, text)
        table = res.context['instance_modules_table']
        statuses = {r.datum.name: (str(r.cells['status'].data), r.status)
                    for r in table.get_rows()}
        self.assertEqual({'licence': ('OK', True), 'broken': ('Failed', False)}, statuses)
        self.mock_instance_module_query.assert_called_once_with(helpers.IsHttpRequest(), I)

    @helpers.create_mocks({trove: INSTANCE_CALLS, modules_api: ('instance_module_query',)})
    def test_the_tab_is_only_for_versions_with_modules_and_loads_when_opened(self):
        self.mock_instance(helpers.instance(datastore='redis', version='7.0'))
        res = self.client.get(DETAIL_URL)
        self.assertNotIn('modules', [t.slug for t in res.context['tab_group'].get_tabs()])
        self.mock_instance()
        self.client.get(DETAIL_URL)
        self.mock_instance_module_query.assert_not_called()

    @helpers.create_mocks({trove: INSTANCE_CALLS, modules_api: ('instance_module_query',)})
    def test_the_tab_says_when_the_instance_does_not_run(self):
        self.mock_instance(helpers.instance('SHUTDOWN'))
        text = page(self.client.get(TAB_URL))
        self.assertIn("reports its modules only while the instance is Active", text)
        self.mock_instance_module_query.assert_not_called()

    @helpers.create_mocks({trove: INSTANCE_CALLS, modules_api: ('instance_module_query',)})
    def test_the_tab_says_when_the_guest_does_not_answer(self):
        self.mock_instance()
        self.mock_instance_module_query.side_effect = helpers.api_error(
            500, 'Internal Server Error')
        res = self.client.get(TAB_URL)
        self.assertEqual(200, res.status_code)
        text = page(res)
        self.assertIn("The instance's guest did not answer", text)
        self.assertNotIn('Internal Server Error', text)

        message = "The instance's agent is too old for modules: upgrade the guest image."
        self.mock_instance_module_query.side_effect = helpers.api_error(409, message)
        text = page(self.client.get(TAB_URL))
        self.assertIn("The instance's guest did not answer", text)
        self.assertIn(message, text)

    @helpers.create_mocks({trove: INSTANCE_CALLS,
                           modules_api: ('instance_module_query', 'instance_module_remove')})
    def test_remove_from_the_tab(self):
        self.mock_instance()
        self.mock_instance_module_query.return_value = [applied('licence')]
        found = applied('licence')
        res = self.client.post(TAB_URL, {
            'action': 'instance_modules__delete__%s' % found.id})
        self.assertEqual(302, res.status_code)
        self.mock_instance_module_remove.assert_called_once_with(
            helpers.IsHttpRequest(), I, found.id)

    @helpers.create_mocks({trove: INSTANCE_CALLS,
                           modules_api: ('instance_module_query', 'instance_module_remove')})
    def test_a_refused_remove_is_in_the_apis_words(self):
        self.mock_instance()
        self.mock_instance_module_query.return_value = [applied('licence')]
        message = "Module 'licence' is not applied to instance db1."
        self.mock_instance_module_remove.side_effect = helpers.api_error(404, message)
        res = self.client.post(TAB_URL, {
            'action': 'instance_modules__delete__%s' % applied('licence').id}, follow=True)
        self.assertIn(message, page(res))


class DownloadTests(helpers.TestCase):

    def test_download_decodes_the_guests_contents_with_troveclients_name(self):
        data = b'\x00licence\xff\n'
        client = mock.Mock()
        client.instances._modules_get.return_value = [
            applied('other', contents=b'nope'), applied('licence', contents=data)]
        with mock.patch.object(trove, 'troveclient', return_value=client):
            res = self.client.get(download_url('licence'))
        self.assertEqual(200, res.status_code)
        self.assertEqual(data, res.content)
        self.assertEqual('application/octet-stream', res['Content-Type'])
        self.assertEqual('attachment; filename="licence_mariadb_10.11.dat"',
                         res['Content-Disposition'])
        client.instances._modules_get.assert_called_once_with(I, from_guest=True,
                                                              include_contents=True)

    @helpers.create_mocks({modules_api: ('instance_module_contents',)})
    def test_a_module_the_guest_does_not_hold_goes_back_to_the_tab(self):
        self.mock_instance_module_contents.return_value = None
        res = self.client.get(download_url('licence'))
        self.assertRedirectsNoFollow(res, TAB_URL)
        self.assertMessageCount(error=1)

    @helpers.create_mocks({modules_api: ('instance_module_contents',)})
    def test_a_refused_download_says_why(self):
        message = "Instance db1 is not Active: its guest cannot be asked for modules."
        self.mock_instance_module_contents.side_effect = helpers.api_error(409, message)
        with mock.patch.object(module_views, 'messages') as said:
            res = self.client.get(download_url('licence'))
        self.assertRedirectsNoFollow(res, TAB_URL)
        said.error.assert_called_once_with(helpers.IsHttpRequest(), message)


class AppliedListTests(helpers.TestCase):

    def test_the_applied_list_is_the_recorded_one_in_one_call(self):
        client = mock.Mock()
        client.instances.modules.return_value = [applied('licence')]
        with mock.patch.object(trove, 'troveclient', return_value=client):
            found = modules_api.instance_module_list(mock.sentinel.request, I)
        self.assertEqual(['licence'], [m.name for m in found])
        client.instances.modules.assert_called_once_with(I)
        client.instances.module_query.assert_not_called()
        client.instances._modules_get.assert_not_called()
