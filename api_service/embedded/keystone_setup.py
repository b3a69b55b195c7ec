"""One-shot Keystone set-up, in a single process: schema, bootstrap, then our content.

Run by the launcher as `python -m api_service.embedded.keystone_setup SPEC.json` before
Keystone serves: the schema migration, `keystone-manage bootstrap` (admin, roles,
identity endpoint), the demo project and user (member), the service user (service
role) and the `database` catalog entry. Doing it through Keystone's own managers
here instead of over its REST API makes a first start several seconds faster.
Every step is idempotent.
"""
import json
import sys
import uuid


def _configure(spec):
    from keystone.cmd import cli
    from keystone.common import sql
    import keystone.conf

    conf = keystone.conf.CONF
    conf.register_cli_opt(cli.command_opt)
    keystone.conf.configure()
    sql.initialize()
    # --opt=value: a generated password may start with '-' and must not read as an option.
    conf(args=['--config-file', spec['config_file'], 'bootstrap',
               '--bootstrap-password=' + spec['admin_password'],
               '--bootstrap-public-url=' + spec['identity_url'],
               '--bootstrap-internal-url=' + spec['identity_url'],
               '--bootstrap-region-id=' + spec['region']], project='keystone')
    return cli


def _ensure_project(providers, name, domain_id):
    from keystone import exception
    try:
        return providers.resource_api.get_project_by_name(name, domain_id)
    except exception.ProjectNotFound:
        project_id = uuid.uuid4().hex
        return providers.resource_api.create_project(project_id, {
            'id': project_id, 'name': name, 'domain_id': domain_id, 'enabled': True,
            'description': 'Created by the embedded DBaaS stack.'})


def _ensure_user(providers, name, password, project, domain_id):
    from keystone import exception
    try:
        user = providers.identity_api.get_user_by_name(name, domain_id)
        providers.identity_api.update_user(user['id'], {'password': password})
        return user
    except exception.UserNotFound:
        return providers.identity_api.create_user({
            'name': name, 'password': password, 'domain_id': domain_id, 'enabled': True,
            'default_project_id': project['id']})


def _role_id(providers, name):
    from keystone.common import driver_hints
    hints = driver_hints.Hints()
    hints.add_filter('name', name)
    return providers.role_api.list_roles(hints)[0]['id']


def _grant(providers, user, project, role_name):
    from keystone import exception
    try:
        providers.assignment_api.add_role_to_user_and_project(
            user['id'], project['id'], _role_id(providers, role_name))
    except exception.Conflict:
        pass


def _ensure_catalog(providers, service_type, name, url, region):
    from keystone.common import driver_hints
    hints = driver_hints.Hints()
    hints.add_filter('type', service_type)
    services = providers.catalog_api.list_services(hints)
    if services:
        service = services[0]
    else:
        service_id = uuid.uuid4().hex
        service = providers.catalog_api.create_service(service_id, {
            'id': service_id, 'type': service_type, 'name': name, 'enabled': True})
    existing = {e['interface']: e for e in providers.catalog_api.list_endpoints()
                if e['service_id'] == service['id']}
    for interface in ('public', 'internal', 'admin'):
        endpoint = existing.get(interface)
        if endpoint is None:
            endpoint_id = uuid.uuid4().hex
            providers.catalog_api.create_endpoint(endpoint_id, {
                'id': endpoint_id, 'service_id': service['id'], 'interface': interface,
                'url': url, 'region_id': region, 'enabled': True})
        elif endpoint['url'] != url:
            providers.catalog_api.update_endpoint(endpoint['id'], {'url': url})


def main(spec_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    cli = _configure(spec)
    from keystone.common import provider_api
    from keystone.common.sql import upgrades
    import keystone.conf

    upgrades.offline_sync_database_to_version()
    cli.BootStrap.main()  # admin project, user and roles; identity endpoints
    providers = provider_api.ProviderAPIs
    domain = keystone.conf.CONF.identity.default_domain_id
    demo = _ensure_project(providers, 'demo', domain)
    _grant(providers, _ensure_user(providers, 'demo', spec['demo_password'], demo, domain),
           demo, 'member')
    service = _ensure_project(providers, 'service', domain)
    _grant(providers, _ensure_user(providers, spec['service_user'], spec['service_password'],
                                   service, domain), service, 'service')
    _ensure_catalog(providers, 'database', 'dbaas', spec['database_url'], spec['region'])
    admin = _ensure_project(providers, 'admin', domain)
    with open(spec['result_file'], 'w') as handle:
        json.dump({'demo_project_id': demo['id'], 'admin_project_id': admin['id']}, handle)


if __name__ == '__main__':
    main(sys.argv[1])
