"""Every shipped configuration parameter rule agrees with the real engine it describes.

Each engine version starts on its own loopback address; PostgreSQL's pg_settings and MariaDB's
information_schema.SYSTEM_VARIABLES must give the rule's type, range, unit, restart flag and
fixed choices (`allowed`: enumvals, ENUM_VALUE_LIST, MariaDB's character sets and collations),
and Redis must know each name (CONFIG GET), refuse CONFIG SET exactly for the restart-required
ones, and take every curated choice and nothing else. A wrong or stale rule fails here; `scripts/parameter_rules.py` rewrites the files.
"""
import json

import pytest

from api_service.guestagent.datastore import parameter_catalogue
from tests.functional.test_engines import (ENGINES,  # noqa: F401 (fixtures)
                                           make_manager, template_root, workdir)

RULE_FILES = [
    pytest.param(ENGINES['mariadb'], 'mariadb-10.11', id='mariadb-10.11'),
    pytest.param(ENGINES['postgresql15'], 'postgresql-15', id='postgresql-15'),
    pytest.param(ENGINES['postgresql18'], 'postgresql-18', id='postgresql-18'),
    pytest.param(ENGINES['redis'], 'redis-7.0', id='redis-7.0'),
]


def shipped(key):
    with open(parameter_catalogue.rules_file(*key.split('-', 1))) as source:
        return json.load(source)


def mismatches(rules, engine_rules):
    """(shipped, engine's) for every rule the engine does not give exactly."""
    return [(rule, engine_rules.get(rule['name'])) for rule in rules
            if engine_rules.get(rule['name']) != rule]


@pytest.mark.parametrize('engine, key', RULE_FILES)
def test_every_shipped_rule_is_the_engines_own(engine, key, make_manager):
    manager = make_manager(engine)
    manager.prepare()
    rules = shipped(key)
    everything = parameter_catalogue.engine_rules(manager)

    assert mismatches(rules, everything) == [], 'rules that differ from the engine'
    # The file holds every catalogued name this version has, in the catalogue's order.
    assert [r['name'] for r in rules] == [
        n for n in parameter_catalogue.NAMES[engine.manager] if n in everything]


@pytest.mark.parametrize('engine, key', RULE_FILES[:2])
def test_a_wrong_rule_is_caught(engine, key, make_manager):
    manager = make_manager(engine)
    manager.prepare()
    rules = shipped(key)
    everything = parameter_catalogue.engine_rules(manager)
    first_number = next(i for i, r in enumerate(rules) if r['type'] == 'integer')
    for wrong in (dict(rules[0], restart_required=not rules[0]['restart_required']),
                  dict(rules[first_number], max=rules[first_number]['max'] - 1),
                  dict(rules[0], type='float'),
                  dict(rules[0], name='no_such_parameter')):
        assert len(mismatches([wrong], everything)) == 1, wrong
    chosen = next(r for r in rules if r.get('allowed'))
    for wrong in (dict(chosen, allowed=chosen['allowed'][:-1]),
                  dict(chosen, allowed=chosen['allowed'] + ['klingon'])):
        assert len(mismatches([wrong], everything)) == 1, wrong


def test_the_fixed_choices_are_shipped():
    """The choices a user meets first are in the files (a regeneration that lost them fails)."""
    by_name = {key: {r['name']: r for r in shipped(key)}
               for key in ('mariadb-10.11', 'postgresql-15', 'redis-7.0')}
    maria, pg, redis_rules = (by_name['mariadb-10.11'], by_name['postgresql-15'],
                              by_name['redis-7.0'])
    assert 'utf8mb4' in maria['character_set_server']['allowed']
    assert 'utf8mb4_unicode_ci' in maria['collation_server']['allowed']
    assert maria['sql_mode']['multiple'] and 'TRADITIONAL' in maria['sql_mode']['allowed']
    assert pg['log_statement']['allowed'] == ['none', 'ddl', 'mod', 'all']
    assert 'noeviction' in redis_rules['maxmemory-policy']['allowed']


def test_redis_knows_every_shipped_name_and_takes_exactly_its_choices(make_manager):
    import redis
    manager = make_manager(ENGINES['redis'])
    manager.prepare()
    with manager._admin('read CONFIG') as client:
        for rule in shipped('redis-7.0'):
            assert rule['name'] in client.config_get(rule['name']), rule['name']
            for choice in rule.get('allowed', []):
                client.config_set(rule['name'], choice.upper())    # any case, as we take it
                assert client.config_get(rule['name'])[rule['name']] == choice
            if rule.get('allowed'):
                with pytest.raises(redis.exceptions.ResponseError):
                    client.config_set(rule['name'], 'every tuesday')
