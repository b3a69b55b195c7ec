"""The dashboard speaks German when the user picks it: our catalogues are shipped, compiled at
install, complete, and found by Django for the pages and the JavaScript catalogue."""
import gettext
import glob
import html
import json
import re
import os
import subprocess

from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCALE = os.path.join(REPO, 'locale')
INDEX_URL = reverse('horizon:project:databases:index')
SETTINGS_URL = reverse('horizon:settings:user:index')


def german(msgid, domain='django'):
    """Our catalogue's German for `msgid` (from the .mo the install compiled)."""
    text = gettext.translation(domain, localedir=LOCALE, languages=['de']).gettext(msgid)
    assert text != msgid, '%r has no German translation' % msgid
    return text


def test_every_catalogue_is_complete_and_compiled():
    catalogues = sorted(glob.glob(os.path.join(LOCALE, '*', 'LC_MESSAGES', '*.po')))
    assert [os.path.relpath(p, LOCALE) for p in catalogues] == [
        'de/LC_MESSAGES/django.po', 'de/LC_MESSAGES/djangojs.po']
    for po in catalogues:
        stats = subprocess.run(['msgfmt', '--check', '--statistics', '-o', os.devnull, po],
                               capture_output=True, text=True, check=True).stderr
        assert 'untranslated' not in stats and 'fuzzy' not in stats, (po, stats)
        assert os.path.exists(po[:-3] + '.mo'), 'install did not compile %s' % po


class GermanTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_switching_the_language_in_user_settings_translates_our_pages(self):
        self.mock_instance_list.return_value = ([helpers.named('db1')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        page = html.unescape(self.client.get(INDEX_URL).content.decode())
        self.assertIn('Volume (used / size)', page)

        saved = self.client.post(SETTINGS_URL, {'language': 'de', 'timezone': 'UTC',
                                                'pagesize': 20, 'instance_log_length': 35})
        self.assertEqual(302, saved.status_code)
        page = html.unescape(self.client.get(INDEX_URL).content.decode())
        self.assertIn(german('Volume (used / size)'), page)
        self.assertIn(german('Instance Name'), page)
        self.assertNotIn('Volume (used / size)', page)

    def test_the_javascript_catalogue_carries_our_strings(self):
        self.client.post(SETTINGS_URL, {'language': 'de', 'timezone': 'UTC', 'pagesize': 20,
                                        'instance_log_length': 35})
        url = reverse('horizon:jsi18n', kwargs={'packages': 'horizon+openstack_dashboard+trove_dashboard'})
        catalogue = self.client.get(url).content.decode('utf-8')
        message = 'Could not load the choices of this version.'
        self.assertIn('%s: %s' % (json.dumps(message), json.dumps(german(message, 'djangojs'))),
                      catalogue)



def _translated_ids(domain='django'):
    """(context, msgid) of every message the compiled German catalogue translates."""
    with open(os.path.join(LOCALE, 'de', 'LC_MESSAGES', domain + '.mo'), 'rb') as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog
    ids = set()
    for key in catalogue:
        msgid = key[0] if isinstance(key, tuple) else key
        context, _sep, text = msgid.rpartition('\x04')
        if text:
            ids.add((context, text))
    return ids

_TEMPLATE_TRANS = re.compile(r'\{% trans "([^"]+)"(?: context "([^"]+)")? %\}')


def _marked_strings():
    """(context, msgid) of every literal the Python code and the templates' {% trans %} mark
    for translation."""
    import ast
    found = set()
    for template in glob.glob(os.path.join(REPO, 'trove_dashboard', '**', '*.html'),
                              recursive=True):
        with open(template) as handle:
            found.update((context, text) for text, context in
                         _TEMPLATE_TRANS.findall(handle.read()))
    for folder, _dirs, files in os.walk(os.path.join(REPO, 'trove_dashboard')):
        for name in files:
            if not name.endswith('.py'):
                continue
            with open(os.path.join(folder, name)) as handle:
                tree = ast.parse(handle.read())
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = getattr(node.func, 'id', getattr(node.func, 'attr', ''))
                args = [a.value for a in node.args if isinstance(a, ast.Constant)
                        and isinstance(a.value, str)]
                if func in ('_', 'gettext', 'gettext_lazy', 'ngettext', 'ngettext_lazy') \
                        and args:
                    found.add(('', args[0]))
                elif func in ('pgettext', 'pgettext_lazy') and len(args) >= 2:
                    found.add((args[0], args[1]))
    return found


def test_every_string_the_code_marks_is_in_the_catalogue():
    # New strings need `make messages` and a translation; this names the ones that were not.
    marked = _marked_strings()
    assert ('', 'Volume (used / size)') in marked and len(marked) > 100   # the scan finds them
    missing = sorted(marked - _translated_ids())
    assert missing == []
