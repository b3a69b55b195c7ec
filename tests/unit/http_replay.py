"""A loopback HTTP server that replays recorded exchanges in order (tests/fixtures/swift*/).

Each request must be the recorded one (method, path, query, token and, for
writes, the exact body) and gets the recorded answer. One server can stand
for several recorded services (Keystone and Swift): their scrubbed addresses
in the answers are rewritten to the server's own, so a catalog sends the
client back here. Scrubbed secrets (a password) are put back into the
recorded request bodies before they are compared with what the client sent.
Recorded tokens are re-dated to the replay's own time (see redate_tokens), so
a recording does not stop working once its tokens' hour is over.
"""
import base64
import datetime
import http.server
import re
import threading
from urllib import parse


def body_bytes(body):
    if not body:
        return b''
    if 'base64' in body:
        return base64.b64decode(body['base64'])
    return body['text'].encode('utf-8')


_TOKEN_TIME = re.compile(r'"(issued_at|expires_at)": "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def redate_tokens(text, now=None):
    """Shift a token answer's issued_at/expires_at so it was issued `now`, lifetime kept.

    keystoneauth re-authenticates when a token has expired; a recording replayed
    after its token's expiry would otherwise make an unrecorded extra request.
    """
    found = {m.group(1): m.group(2) for m in _TOKEN_TIME.finditer(text)}
    if 'issued_at' not in found:
        return text
    now = (now or datetime.datetime.now(datetime.timezone.utc)).replace(tzinfo=None)
    shift = now - datetime.datetime.fromisoformat(found['issued_at'])

    def moved(match):
        when = datetime.datetime.fromisoformat(match.group(2)) + shift
        return '"%s": "%s%sZ"' % (match.group(1), when.strftime('%Y-%m-%dT%H:%M:%S'),
                                  match.group(3) or '')
    return _TOKEN_TIME.sub(moved, text)


def _header(headers, name):
    """A recorded header's value, whatever the case of its name."""
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


class Replay(http.server.ThreadingHTTPServer):
    """Serves a recording's exchanges in order; collects every mismatch.

    `addresses`: recorded addresses that mean this server; `secrets`: {placeholder: what the
    client really sends} in request bodies.
    """

    daemon_threads = True

    def __init__(self, exchanges, addresses=(), secrets=None):
        super().__init__(('127.0.0.1', 0), _Handler)
        self.exchanges = list(exchanges)
        self.position = 0
        self.skipped = []       # broken-off exchanges passed over, in case they come late
        self.mismatches = []
        self.lock = threading.Lock()
        self.url = 'http://127.0.0.1:%d' % self.server_address[1]
        self.addresses = tuple(addresses)
        self.secrets = dict(secrets or {})

    def here(self, text):
        for address in self.addresses:
            text = text.replace(address, self.url)
        return text

    def expected_body(self, exchange):
        body = body_bytes(exchange.get('request_body'))
        for placeholder, value in self.secrets.items():
            body = body.replace(placeholder.encode(), value.encode())
        return body

    @staticmethod
    def _is(exchange, method, path):
        return (method, path) == (exchange['method'], parse.urlsplit(exchange['url']).path)

    def next_exchange(self, method, path, headers, body, broken):
        got = parse.urlsplit(path)
        with self.lock:
            # A request the client broke off is optional and unordered: it may never reach
            # the server (an abort before its first byte), or reach it late (its handler
            # thread runs after the requests that followed it).
            late = [index for index in self.skipped if broken and
                    self._is(self.exchanges[index], method, got.path)]
            if late:
                self.skipped.remove(late[0])
                expected = self.exchanges[late[0]]
            else:
                while (self.position + 1 < len(self.exchanges)
                       and 'error' in self.exchanges[self.position]
                       and not self._is(self.exchanges[self.position], method, got.path)):
                    self.skipped.append(self.position)
                    self.position += 1
                if self.position >= len(self.exchanges):
                    self.mismatches.append('unexpected %s %s' % (method, path))
                    return None
                expected = self.exchanges[self.position]
                self.position += 1
        want = parse.urlsplit(expected['url'])
        problems = []
        if (method, got.path) != (expected['method'], want.path):
            problems.append('%s %s' % (method, got.path))
        if parse.parse_qs(got.query, keep_blank_values=True) != parse.parse_qs(
                want.query, keep_blank_values=True):
            problems.append('query %s' % got.query)
        if headers.get('X-Auth-Token') != _header(expected['request_headers'], 'X-Auth-Token'):
            problems.append('token %r' % headers.get('X-Auth-Token'))
        for name, value in expected['request_headers'].items():
            if name.lower().startswith('x-object-meta-') and headers.get(name) != value:
                problems.append('%s: %r' % (name, headers.get(name)))
        if body != self.expected_body(expected):
            problems.append('body %r' % body[:80])
        if broken != ('error' in expected):
            problems.append('request broken off' if broken else 'request completed')
        if problems:
            self.mismatches.append('exchange %d (%s %s): %s' % (
                self.position, expected['method'], want.path, '; '.join(problems)))
        return expected

    def check_done(self):
        assert self.mismatches == []
        assert self.position == len(self.exchanges), 'recorded requests not sent: %s' % [
            '%s %s' % (e['method'], e['url']) for e in self.exchanges[self.position:]]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _read_body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            body = bytearray()
            while True:
                line = self.rfile.readline()
                if not line:
                    return bytes(body), True
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(body), False
                chunk = self.rfile.read(size + 2)
                if len(chunk) < size + 2:
                    return bytes(body) + chunk[:size], True
                body.extend(chunk[:size])
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length), False

    def _serve(self):
        body, broken = self._read_body()
        exchange = self.server.next_exchange(self.command, self.path, self.headers, body, broken)
        if broken:
            self.close_connection = True
            return
        if exchange is None or 'status' not in exchange:
            self.send_response(599)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        recorded = body_bytes(exchange.get('response_body'))
        payload = redate_tokens(self.server.here(recorded.decode('utf-8'))).encode('utf-8') if (
            'text' in (exchange.get('response_body') or {})) else recorded
        self.send_response(exchange['status'])
        for name, value in exchange['response_headers'].items():
            if name.lower() != 'content-length':
                self.send_header(name, self.server.here(value))
        # A rewritten body has a length of its own; a HEAD's is the object's.
        self.send_header('Content-Length', str(len(payload)) if payload != recorded else
                         exchange['response_headers'].get('Content-Length', str(len(payload))))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(payload)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _serve


def serving(stack, exchanges, **options):
    """A Replay of `exchanges` serving from a thread until `stack` (an ExitStack) closes."""
    server = Replay(exchanges, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack.callback(server.server_close)
    stack.callback(server.shutdown)
    return server
