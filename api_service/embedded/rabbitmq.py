"""A private RabbitMQ node: own ports, own epmd, own data, never the system service."""
import os
import subprocess

import amqp

from api_service.embedded import process

RABBIT_BIN = '/usr/lib/rabbitmq/bin'
NODE = 'dbaas@localhost'


def transport_url(layout, secrets):
    return 'rabbit://dbaas:%s@127.0.0.1:%d/' % (secrets['rabbit_password'], layout.ports.amqp)


def _env(layout):
    base = layout.ensure('rabbitmq')
    for sub in ('mnesia', 'log', 'home', 'etc'):
        layout.ensure('rabbitmq', sub)
    env = dict(os.environ)
    env.update({
        'HOME': os.path.join(base, 'home'),
        'RABBITMQ_CONF_ENV_FILE': os.path.join(base, 'etc', 'rabbitmq-env.conf'),
        'RABBITMQ_CONFIG_FILE': os.path.join(base, 'etc', 'rabbitmq.conf'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(base, 'etc', 'enabled_plugins'),
        'RABBITMQ_MNESIA_BASE': os.path.join(base, 'mnesia'),
        'RABBITMQ_LOG_BASE': os.path.join(base, 'log'),
        'RABBITMQ_PID_FILE': os.path.join(base, 'rabbit.pid'),
        'RABBITMQ_NODENAME': NODE,
        'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
        'RABBITMQ_NODE_PORT': str(layout.ports.amqp),
        'RABBITMQ_DIST_PORT': str(layout.ports.amqp_dist),
        'ERL_EPMD_ADDRESS': '127.0.0.1',
        'ERL_EPMD_PORT': str(layout.ports.epmd),
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS': '-kernel inet_dist_use_interface {127,0,0,1}',
        # Erlang writes crash dumps to its working directory (the checkout) otherwise.
        'ERL_CRASH_DUMP': os.path.join(base, 'log', 'erl_crash.dump'),
    })
    return env


def _write_config(layout, secrets):
    etc = layout.path('rabbitmq', 'etc')
    with open(os.path.join(etc, 'rabbitmq.conf'), 'w') as handle:
        handle.write('listeners.tcp.1 = 127.0.0.1:%d\n' % layout.ports.amqp)
        handle.write('loopback_users.guest = true\n')
        handle.write('log.console = false\nlog.file.level = warning\n')
        # Applied only when the node's database is first created.
        handle.write('default_user = dbaas\ndefault_pass = %s\n' % secrets['rabbit_password'])
    with open(os.path.join(etc, 'enabled_plugins'), 'w') as handle:
        handle.write('[].\n')
    open(os.path.join(etc, 'rabbitmq-env.conf'), 'w').close()
    os.chmod(os.path.join(etc, 'rabbitmq.conf'), 0o600)


def start(layout, secrets):
    env = _env(layout)
    _write_config(layout, secrets)
    return process.Child('rabbitmq', [os.path.join(RABBIT_BIN, 'rabbitmq-server')],
                         layout.log_file('rabbitmq'), env=env).start()


def ready(layout, secrets):
    conn = amqp.Connection('127.0.0.1:%d' % layout.ports.amqp, userid='dbaas',
                           password=secrets['rabbit_password'], connect_timeout=1)
    conn.connect()
    conn.close()
    return True


def stop_epmd(layout):
    """epmd daemonises outside our process group; it is ours (own port), so stop it."""
    env = _env(layout)
    subprocess.run(['epmd', '-kill'], env=env, capture_output=True, timeout=10)
