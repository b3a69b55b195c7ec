"""Record the Swift exchanges tests/unit/test_swift_storage.py replays, from a real Swift.

Runs OpenStack Swift itself (proxy with tempauth and SLO, account, container
and object servers, one-replica rings, on loopback, in a temporary directory
whose filesystem must support user xattrs), drives SwiftObjectStore against
it scenario by scenario, and writes every HTTP exchange to
tests/fixtures/swift/<scenario>.json with the token and the address scrubbed.

Swift is installed in a scratch venv, never in the project's:

    python3 -m venv /tmp/swiftvenv && /tmp/swiftvenv/bin/pip install swift
    .venv/bin/python scripts/record_swift_fixtures.py --swift-venv /tmp/swiftvenv

Writer names are made deterministic (the tests patch them the same way), so
the recordings only change when the driver's requests or Swift's answers do.
"""
import argparse
import base64
import hashlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from unittest import mock

import requests
import requests.adapters

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from api_service.drivers.storage import base  # noqa: E402
from api_service.drivers.storage import swift  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'tests', 'fixtures', 'swift')
TOKEN_PLACEHOLDER = 'SCRUBBED-TOKEN'
ADDRESS_PLACEHOLDER = 'http://swift.invalid'
CONTAINER = 'database_backups'
SEGMENT_SIZE = 8
KEPT_REQUEST_HEADERS = {'accept', 'content-type', 'content-length', 'transfer-encoding',
                        'x-auth-token', swift.SEGMENTS_HEADER.lower(),
                        swift.CHECKSUM_HEADER.lower()}
DROPPED_RESPONSE_HEADERS = {'date', 'x-trans-id', 'x-openstack-request-id', 'connection',
                            'transfer-encoding', 'x-auth-token', 'x-storage-token'}

SWIFT_CONF = """[swift-hash]
swift_hash_path_suffix = recordings
swift_hash_path_prefix = recordings
[storage-policy:0]
name = Policy-0
default = yes
"""
SERVER_CONF = """[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
swift_dir = {dir}
devices = {dir}/node
mount_check = false
log_name = {name}
log_level = WARNING
[pipeline:main]
pipeline = {name}
[app:{name}]
use = egg:swift#{egg}
"""
PROXY_CONF = """[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
swift_dir = {dir}
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper proxy-logging cache listing_formats slo dlo tempauth copy proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:cache]
paste.filter_factory = dictcache:filter_factory
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:copy]
use = egg:swift#copy
"""
# The proxy runs as one process, so a dict stands in for memcached (tokens, info caching).
DICT_CACHE = '''
class DictCache:
    def __init__(self):
        self.data = {}
    def get(self, key, *args, **kwargs):
        return self.data.get(key)
    def set(self, key, value, *args, **kwargs):
        self.data[key] = value
    def delete(self, key, *args, **kwargs):
        self.data.pop(key, None)
    def incr(self, key, delta=1, *args, **kwargs):
        self.data[key] = int(self.data.get(key, 0)) + delta
        return self.data[key]
    def decr(self, key, delta=1, *args, **kwargs):
        return self.incr(key, -delta)
    def get_multi(self, keys, *args, **kwargs):
        return [self.data.get(key) for key in keys]
    def set_multi(self, mapping, *args, **kwargs):
        self.data.update(mapping)

def filter_factory(global_conf, **local_conf):
    cache = DictCache()
    def wrap(app):
        def middleware(env, start_response):
            env['swift.cache'] = cache
            return app(env, start_response)
        return middleware
    return wrap
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SwiftAllInOne:
    """A real Swift on loopback in a temporary directory; `stop` removes it all."""

    def __init__(self, venv):
        self.bin = os.path.join(venv, 'bin')
        self.dir = tempfile.mkdtemp(prefix='swift-aio-', dir=os.environ.get('SWIFT_AIO_DIR'))
        self.processes = []

    def start(self):
        os.makedirs(os.path.join(self.dir, 'node', 'd1'))
        with open(os.path.join(self.dir, 'swift.conf'), 'w') as handle:
            handle.write(SWIFT_CONF)
        with open(os.path.join(self.dir, 'dictcache.py'), 'w') as handle:
            handle.write(DICT_CACHE)
        for name in ('account', 'container', 'object'):
            port = free_port()
            builder = os.path.join(self.dir, '%s.builder' % name)
            for args in (['create', '4', '1', '1'], ['add', 'r1z1-127.0.0.1:%d/d1' % port, '1'],
                         ['rebalance']):
                subprocess.run([os.path.join(self.bin, 'swift-ring-builder'), builder] + args,
                               check=True, stdout=subprocess.DEVNULL)
            self._spawn('%s-server' % name, SERVER_CONF.format(
                port=port, dir=self.dir, name='%s-server' % name, egg=name))
        self.port = free_port()
        self._spawn('proxy-server', PROXY_CONF.format(port=self.port, dir=self.dir))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                requests.get('http://127.0.0.1:%d/info' % self.port, timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.5)
        raise RuntimeError('swift did not start; see %s/*.log' % self.dir)

    def _spawn(self, name, conf):
        path = os.path.join(self.dir, '%s.conf' % name)
        with open(path, 'w') as handle:
            handle.write(conf)
        log = open(os.path.join(self.dir, '%s.log' % name), 'wb')
        env = dict(os.environ, PYTHONPATH=self.dir)
        self.processes.append(subprocess.Popen(
            [os.path.join(self.bin, 'swift-%s' % name), path], stdout=log,
            stderr=subprocess.STDOUT, env=env))

    def version(self):
        return requests.get('http://127.0.0.1:%d/info' % self.port).json()['swift']['version']

    def tempauth(self):
        """(storage URL, token) of the tempauth user test:tester."""
        response = requests.get('http://127.0.0.1:%d/auth/v1.0' % self.port, headers={
            'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
        response.raise_for_status()
        return response.headers['X-Storage-Url'], response.headers['X-Auth-Token']

    def stop(self):
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _body(data):
    if data is None:
        return None
    try:
        return {'text': data.decode('utf-8')}
    except UnicodeDecodeError:
        return {'base64': base64.b64encode(data).decode('ascii')}


class Recorder:
    """Wraps requests' HTTP adapter: every exchange, scrubbed, in order."""

    def __init__(self, address, secrets):
        self.address = address
        self.secrets = [value for value in secrets if value]
        self.exchanges = []

    def scrub(self, text):
        text = text.replace(self.address, ADDRESS_PLACEHOLDER)
        for value in self.secrets:
            text = text.replace(value, TOKEN_PLACEHOLDER)
        return text

    def patch(self):
        original = requests.adapters.HTTPAdapter.send
        recorder = self

        def send(adapter, request, **kwargs):
            sent = bytearray()
            body = request.body
            if body is not None and not isinstance(body, (bytes, str)):
                def tee(chunks):
                    for chunk in chunks:
                        sent.extend(chunk)
                        yield chunk
                request.body = tee(body)
            elif body is not None:
                sent.extend(body.encode() if isinstance(body, str) else body)
            exchange = {'method': request.method, 'url': recorder.scrub(request.url),
                        'request_headers': {
                            name: recorder.scrub(value) for name, value in request.headers.items()
                            if name.lower() in KEPT_REQUEST_HEADERS}}
            # Recorded once answered (or broken off), in the order the server saw each
            # request whole: a segment's streamed PUT starts before, and ends after,
            # requests made while it is being fed.
            try:
                response = original(adapter, request, **kwargs)
            except Exception as error:
                exchange['request_body'] = _body(bytes(sent))
                exchange['error'] = type(error).__name__
                recorder.exchanges.append(exchange)
                raise
            recorder.exchanges.append(exchange)
            exchange['request_body'] = _body(bytes(sent)) if body is not None else None
            content = response.content
            exchange['status'] = response.status_code
            exchange['response_headers'] = {
                name: recorder.scrub(value) for name, value in response.headers.items()
                if name.lower() not in DROPPED_RESPONSE_HEADERS}
            exchange['response_body'] = _body(
                recorder.scrub(content.decode('utf-8')).encode('utf-8')
                if 'json' in response.headers.get('Content-Type', '') else content)
            response.raw = _Replayable(content)
            response._content, response._content_consumed = False, False
            return response

        return mock.patch.object(requests.adapters.HTTPAdapter, 'send', send)


class _Replayable:
    """Stands in for the consumed urllib3 response, so the driver can still stream it."""

    def __init__(self, data):
        self._data, self._offset = data, 0

    def read(self, size=None, **kwargs):
        end = len(self._data) if size is None else self._offset + size
        chunk, self._offset = self._data[self._offset:end], min(end, len(self._data))
        return chunk

    def stream(self, size, decode_content=None):
        while True:
            chunk = self.read(size)
            if not chunk:
                return
            yield chunk

    def close(self):
        pass

    def release_conn(self):
        pass


def writer_names():
    counter = itertools.count(1)
    return mock.patch.object(swift.secrets, 'token_hex', lambda n=8: '%016x' % next(counter))


def data(size, seed):
    return bytes((seed + i * 7) % 251 for i in range(size))


def checksum(payload):
    return 'sha256:' + hashlib.sha256(payload).hexdigest()


def write(store, key, payload, pieces=3, commit=True):
    writer = store.open_writer(key)
    step = max(1, len(payload) // pieces)
    for start in range(0, len(payload), step):
        writer.write(payload[start:start + step])
    return writer.commit() if commit else writer


# -- scenarios: each returns facts the tests check against ---------------------------------

def scenario_commit_read_delete(store):
    payload = data(20, 1)
    writer = store.open_writer('backups/b1/data')
    writer.write(payload[:7])
    writer.write(payload[7:17])
    visible_before_commit = store.exists('backups/b1/data')
    writer.write(payload[17:])
    record = writer.commit()
    with base.verified_reader(store, 'backups/b1/data', record['checksum'],
                              record['size']) as reader:
        read_back = b''.join(reader)
    facts = {'payload': payload.hex(), 'record': record,
             'visible_before_commit': visible_before_commit,
             'exists_after_commit': store.exists('backups/b1/data'),
             'size': store.size('backups/b1/data'), 'read_back': read_back.hex(),
             'deleted': store.delete('backups/b1/data'),
             'exists_after_delete': store.exists('backups/b1/data'),
             'segments_after_delete': store.list_names(swift.SEGMENT_PREFIX),
             'deleted_again': store.delete('backups/b1/data')}
    return facts


def scenario_empty_object(store):
    record = write(store, 'backups/empty/data', b'')
    with base.verified_reader(store, 'backups/empty/data', record['checksum'], 0) as reader:
        read_back = b''.join(reader)
    return {'record': record, 'read_back': read_back.hex(),
            'size': store.size('backups/empty/data'),
            'deleted': store.delete('backups/empty/data')}


def scenario_abort(store):
    writer = store.open_writer('backups/b2/data')
    writer.write(data(8, 2))       # one whole segment
    writer.write(data(5, 3))       # a second one still being sent
    writer.abort()
    return {'exists': store.exists('backups/b2/data'),
            'segments_left': store.list_names(swift.SEGMENT_PREFIX)}


def scenario_missing(store):
    facts = {}
    for name, call in (('open_reader', store.open_reader), ('size', store.size)):
        try:
            call('backups/missing/data')
            facts[name] = 'returned'
        except base.ObjectNotFound:
            facts[name] = 'ObjectNotFound'
    facts['exists'] = store.exists('backups/missing/data')
    facts['delete'] = store.delete('backups/missing/data')
    return facts


def scenario_checksum_mismatch(store):
    payload = data(12, 4)
    record = write(store, 'backups/b3/data', payload)
    wrong = checksum(payload[:-1] + b'X')
    try:
        base.verify_object(store, 'backups/b3/data', wrong, record['size'])
        outcome = 'verified'
    except base.ChecksumMismatch:
        outcome = 'ChecksumMismatch'
    base.verify_object(store, 'backups/b3/data', record['checksum'], record['size'])
    store.delete('backups/b3/data')
    return {'record': record, 'wrong_checksum': wrong, 'outcome': outcome}


def scenario_cleanup_partials(store):
    committed = write(store, 'backups/b4/data', data(20, 5))
    unmarked = write(store, 'backups/b6/data', data(10, 7))
    # Its writer stopped between the manifest and the marker:
    store.expect((204,), 'DELETE', '.segments/backups/b6/data/0000000000000002/committed')
    dead = store.open_writer('backups/b5/data')
    dead.write(data(16, 6))       # two whole segments, then the writer "dies"
    dead.state = 'killed'         # (never aborted: what a killed agent leaves)
    # A marker alone: the delete of its object stopped before removing it.
    store.mark_committed('.segments/backups/b7/data/00000000000000ff/')
    clock = [time.time()]
    spared = store.cleanup_partials(3600)
    time.sleep(2)
    clock.append(time.time())
    removed = store.cleanup_partials(1)
    facts = {'clock': clock, 'committed': committed, 'unmarked': unmarked, 'spared': spared,
             'removed': removed,
             'segments_left': [name for name, _ in store.list_names(swift.SEGMENT_PREFIX)],
             'committed_intact': store.size('backups/b4/data')}
    store.delete('backups/b4/data')
    store.delete('backups/b6/data')
    facts['segments_after_deletes'] = [name for name, _ in store.list_names(swift.SEGMENT_PREFIX)]
    return facts


SCENARIOS = {name[len('scenario_'):]: func for name, func in globals().items()
             if name.startswith('scenario_')}


def record(aio, name, func):
    storage_url, token = aio.tempauth()
    address = storage_url.split('/v1/')[0]
    recorder = Recorder(address, [token])
    store = swift.SwiftObjectStore(CONTAINER, segment_size=SEGMENT_SIZE,
                                   storage_url=storage_url, token=token)
    with recorder.patch(), writer_names():
        facts = func(store)
    store.request('DELETE')   # the next scenario starts from no container
    fixture = {'scenario': name,
               'recorded_from': 'OpenStack Swift %s (tempauth, slo), one-replica rings on '
                                'loopback, driven by scripts/record_swift_fixtures.py'
                                % aio.version(),
               'container': CONTAINER, 'segment_size': SEGMENT_SIZE,
               'storage_path': '/v1/' + storage_url.split('/v1/')[1],
               'facts': facts, 'exchanges': recorder.exchanges}
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, '%s.json' % name), 'w') as handle:
        json.dump(fixture, handle, indent=1, sort_keys=True)
        handle.write('\n')
    print('%-22s %3d exchanges  %s' % (name, len(recorder.exchanges), json.dumps(
        {k: v for k, v in facts.items() if not isinstance(v, (dict, list))})))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--swift-venv', default='/tmp/swiftvenv',
                        help='a venv with swift installed (pip install swift)')
    parser.add_argument('scenarios', nargs='*', default=sorted(SCENARIOS))
    args = parser.parse_args()
    aio = SwiftAllInOne(args.swift_venv).start()
    try:
        for name in args.scenarios:
            record(aio, name, SCENARIOS[name])
    finally:
        aio.stop()


if __name__ == '__main__':
    main()
