"""A schedule's cron pattern refused in words: which field, what it takes, what was sent.

The rules (domain/cron_patterns.py) per field and kind of mistake, then through the API's
create and change of a schedule, where the schema no longer answers first."""
import pytest

from api_service.domain import cron_patterns
from tests.unit.test_backups_api import active_instance, bapi  # noqa: F401  (fixtures)
from tests.unit.test_instances_api import api  # noqa: F401

# (pattern, the sentence that refuses it); the dashboard's copy answers the same
# (tests/dashboard/test_cron_pattern.py imports this table).
REFUSED = [
    ('* * *', 'The schedule needs 5 fields (minute hour day month weekday); it has 3.'),
    ('* * * * * * *',
     'The schedule needs 5 fields (minute hour day month weekday); it has 7.'),
    ('61 * * * *', 'Minute must be 0–59; it is 61.'),
    ('0 24 * * *', 'Hour must be 0–23; it is 24.'),
    ('0 3 0 * *', 'Day must be 1–31; it is 0.'),
    ('0 3 32 * *', 'Day must be 1–31; it is 32.'),
    ('0 3 * 13 *', 'Month must be 1–12 or jan–dec; it is 13.'),
    ('0 3 * * 8', 'Weekday must be 0–7 (0 and 7 are Sunday) or sun–sat; it is 8.'),
    ('* * * * * 60', 'Second must be 0–59; it is 60.'),
    # Names: only where the field takes them, and only known ones.
    ('0 3 * foo *', "Month must be 1–12 or jan–dec; it is 'foo'."),
    ('0 3 jan * *', "Day must be 1–31; it is 'jan'."),
    ('0 3 * * mon-fry', "Weekday must be 0–7 (0 and 7 are Sunday) or sun–sat; it is 'fry'."),
    ('a * * * *', "Minute must be 0–59; it is 'a'."),
    # Ranges: each end is judged.
    ('0 20-25 * * *', 'Hour must be 0–23; it is 25.'),
    ('5- * * * *', "Minute must be *, a number, a range (1-5), a list (1,15,30) or a step "
                   "(*/15); it is '5-'."),
    ('1-2-3 * * * *', "Minute must be *, a number, a range (1-5), a list (1,15,30) or a step "
                      "(*/15); it is '1-2-3'."),
    # Steps.
    ('*/0 * * * *', "Minute's step (after /) must be a whole number, 1 or more; it is '0'."),
    ('0 */x * * *', "Hour's step (after /) must be a whole number, 1 or more; it is 'x'."),
    ('0 3 */ * *', "Day's step (after /) must be a whole number, 1 or more; it is ''."),
    # Lists: each item is judged.
    ('1,,2 * * * *', "Minute has an empty item in its list: '1,,2'."),
    ('0,15,70 * * * *', 'Minute must be 0–59; it is 70.'),
]
ACCEPTED = ['0 3 * * *', '*/15 * * * *', '* * * * * */10', '0 3 * * mon-fri',
            '0 3 * JAN-mar *', '0 0,12 1-31/2 * *', '0 3 * * 7', '0 3 L * *',
            '0 3 * * sat#2', '0 3 15W * *', '0 3 ? * *', '  0 3 * * *  ']


@pytest.mark.parametrize('pattern, sentence', REFUSED)
def test_each_field_and_kind_of_mistake_is_named(pattern, sentence):
    assert cron_patterns.problem(pattern) == sentence


@pytest.mark.parametrize('pattern', ACCEPTED)
def test_patterns_croniter_runs_are_accepted(pattern):
    assert cron_patterns.problem(pattern) is None


def test_what_only_croniter_judges_is_refused_in_words_too():
    # A special form croniter does not take, and a date no month has.
    assert cron_patterns.problem('0 3 * * 5L').startswith(
        "'0 3 * * 5L' is not a cron pattern the scheduler can run. Its special forms are L")
    assert cron_patterns.problem('0 3 30 2 *') == (
        "'0 3 30 2 *' never comes round: no month it allows has that day.")


def test_the_api_refuses_bad_patterns_in_these_words(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    path = '/instances/%s/schedules' % instance_id

    def refusal(method, url, pattern):
        resp = bapi.request(method, url, body={'schedule': dict(
            {'pattern': pattern}, **({'name': 'x'} if method == 'POST' else {}))})
        assert resp.status_code == 400, resp.body
        return resp.json_body_or_none['badRequest']['message']

    assert refusal('POST', path, '* * *') == REFUSED[0][1]     # not the schema's minLength
    assert refusal('POST', path, '61 * * * *') == 'Minute must be 0–59; it is 61.'
    # February 30th used to reach croniter's search and fail the request.
    assert 'never comes round' in refusal('POST', path, '0 3 30 2 *')
    created = bapi.request('POST', path, body={'schedule': {'name': 'x',
                                                            'pattern': '0 3 * * *'}})
    assert created.status_code == 200, created.body
    one = '%s/%s' % (path, created.json_body_or_none['schedule']['id'])
    assert refusal('PATCH', one, '0 3 * 13 *') == 'Month must be 1–12 or jan–dec; it is 13.'
    assert bapi.get(one).json_body_or_none['schedule']['pattern'] == '0 3 * * *'
    # An empty one too: the schema does not answer with the API's field name.
    assert refusal('POST', path, '') == ('The schedule needs 5 fields (minute hour day month '
                                         'weekday); it has 0.')
