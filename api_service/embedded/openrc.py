"""admin-openrc and demo-openrc in the state directory, for the openstack CLI."""
import os

TEMPLATE = """# Source me: . {path}
export OS_AUTH_URL={keystone}/v3
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME={user}
export OS_PASSWORD={password}
export OS_PROJECT_NAME={project}
export OS_USER_DOMAIN_ID=default
export OS_PROJECT_DOMAIN_ID=default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
"""


def write_files(layout, secrets):
    for user, password in (('admin', secrets['admin_password']),
                           ('demo', secrets['demo_password'])):
        path = layout.path('%s-openrc' % user)
        text = TEMPLATE.format(path=path, keystone=layout.keystone_url, user=user,
                               password=password, project=user)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
