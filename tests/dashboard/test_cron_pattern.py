"""Create Schedule names what is wrong with a cron pattern's fields, on the spot and in the
API's own sentences (the dashboard keeps a copy of the API's rules: held equal here)."""
import pytest
from django.urls import reverse

from api_service.domain import cron_patterns as api_rules
from tests.dashboard import helpers
from tests.unit.test_cron_patterns import ACCEPTED, REFUSED
from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import cron_pattern

I = helpers.INSTANCE_ID
CREATE_URL = reverse('horizon:project:database_backups:create_schedule', args=[I])


@pytest.mark.parametrize('pattern, sentence', REFUSED)
def test_the_dashboard_refuses_as_the_api_does(pattern, sentence):
    assert str(cron_pattern.problem(pattern)) == sentence == api_rules.problem(pattern)


@pytest.mark.parametrize('pattern', ACCEPTED)
def test_the_dashboard_accepts_what_the_api_accepts(pattern):
    assert cron_pattern.problem(pattern) is None


def test_what_only_the_api_knows_is_left_to_it():
    # The dashboard has no croniter: an L form or a day no month has goes to the API.
    for pattern in ('0 3 * * 5L', '0 3 30 2 *'):
        assert cron_pattern.problem(pattern) is None
        assert api_rules.problem(pattern) is not None


class CreateSchedulePatternTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list', 'schedule_create')})
    def test_a_bad_field_is_named_on_the_pattern_and_the_api_is_not_called(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        for pattern, sentence in (('* * *', REFUSED[0][1]),
                                  ('61 * * * *', 'Minute must be 0–59; it is 61.')):
            res = self.client.post(CREATE_URL, {'instance_id': I, 'name': 'x',
                                                'pattern': pattern, 'retention': '0'})
            self.assertEqual([sentence], res.context['form'].errors['pattern'])
        self.mock_schedule_create.assert_not_called()
