"""Tar streams: reading chosen members on the way to compression, and unpacking on restore.

pg_basebackup's tar ends with backup_manifest (and starts with backup_label):
the strategy needs the manifest, and reading it on the way saves a second
pass over the backup. Two ways to watch the stream:

- `capture(chunk)`: parse chunks that pass through Python anyway (gzip);
- `pump(src_fd, dst_fd)`: move the stream from one pipe to another with
  splice(2), reading into Python only the 512-byte headers and the members
  it keeps. Member contents move between the pipes without a copy: a plain
  copy stage costs ~1 s per GiB on these 2-core machines.

Restore unpacks with `extract(src_fd, target)`: headers are read into
Python, member contents are spliced from the decompressor's pipe into their
files. That is one copy of the data, where `zstd -d | tar -x` makes three
(into the pipe, out of it, into the file): on a 1 GiB PostgreSQL backup the
unpack then takes about what tar takes on an uncompressed local file.

Handles ustar names with prefixes, GNU long names ('L') and pax headers.
"""
import errno
import os

BLOCK = 512
SPLICE_MAX = 1024 * 1024


def parse_header(header):
    """(name, size, kind) of a 512-byte tar header; None for an end-of-archive block."""
    if header == bytes(BLOCK):
        return None
    name = header[0:100].split(b'\0', 1)[0]
    prefix = header[345:500].split(b'\0', 1)[0]
    if prefix and header[257:262] == b'ustar':
        name = prefix + b'/' + name
    return name, _size(header[124:136]), header[156:157]


def _size(field):
    if field[0] & 0x80:   # GNU base-256 for sizes over 8 GiB
        return int.from_bytes(bytes([field[0] & 0x7f]) + field[1:], 'big')
    text = field.split(b'\0', 1)[0].strip()
    return int(text, 8) if text else 0


def _clean(name):
    text = name.decode('utf-8', 'replace')
    while text.startswith('./'):
        text = text[2:]
    return text


class TarCapture:
    """Keeps the contents of the members named in `names` (top-level paths) in `members`."""

    def __init__(self, names):
        self.names = set(names)
        self.members = {}
        self._long_name = None
        # State of the chunk parser.
        self._header = bytearray()
        self._remaining = 0
        self._padding = 0
        self._target = None
        self._current = None
        self._done = False

    def _open_member(self, header):
        """Parse a header: (bytes of data, bytes of padding, whether to keep the data)."""
        parsed = parse_header(header)
        if parsed is None:
            self._done = True
            return 0, 0, False
        name, size, kind = parsed
        if self._long_name is not None:
            name, self._long_name = self._long_name, None
        if kind == b'L':
            self._current = '\0longname'
        else:
            self._current = _clean(name)
        keep = kind == b'L' or (kind in (b'0', b'\0') and self._current in self.names)
        return size, (-size) % BLOCK, keep

    def _close_member(self, data):
        if self._current == '\0longname':
            self._long_name = bytes(data).split(b'\0', 1)[0]
        else:
            self.members[self._current] = bytes(data)

    # ------------------------------------------------------ chunk by chunk

    def __call__(self, data):
        view = memoryview(data)
        while view and not self._done:
            if self._remaining:
                take = min(self._remaining, len(view))
                if self._target is not None:
                    self._target += view[:take]
                self._remaining -= take
                view = view[take:]
                if not self._remaining and self._target is not None:
                    self._close_member(self._target)
                    self._target = None
            elif self._padding:
                take = min(self._padding, len(view))
                self._padding -= take
                view = view[take:]
            else:
                take = min(BLOCK - len(self._header), len(view))
                self._header += view[:take]
                view = view[take:]
                if len(self._header) == BLOCK:
                    self._remaining, self._padding, keep = self._open_member(bytes(self._header))
                    self._header.clear()
                    self._target = bytearray() if keep else None
                    if keep and not self._remaining:
                        self._close_member(b'')
                        self._target = None

    # ------------------------------------------------------- pipe to pipe

    def pump(self, src, dst):
        """Move the whole stream from file descriptor `src` to `dst` (pipes), capturing."""
        while not self._done:
            header = _read_exact(src, BLOCK)
            if not header:
                return
            _write_all(dst, header)
            if len(header) < BLOCK:
                return
            size, padding, keep = self._open_member(header)
            if keep:
                data = _read_exact(src, size)
                _write_all(dst, data)
                if len(data) < size:
                    return
                self._close_member(data)
                if not _splice_exact(src, dst, padding):
                    return
            elif not _splice_exact(src, dst, size + padding):
                return
        while os.splice(src, dst, SPLICE_MAX):   # what follows the end-of-archive blocks
            pass


class UnsafeMember(Exception):
    """The archive holds something a restore does not write (a link, a device, a path outside)."""


def extract(src, target, owner=None):
    """Unpack the tar stream on file descriptor `src` (read to its end) into the directory `target`.

    Only directories and regular files are written, at paths inside `target`;
    anything else raises UnsafeMember before it touches the disk. Modes keep
    their permission bits (under the umask); with `owner` (uid, gid) every
    created entry is given to it. Modification times are not restored:
    nothing reads them.

    The agent may run as root while `target` belongs to the engine's user, so
    nothing is opened by path: every directory is held open and entries are
    made relative to it, never following a symbolic link. Whatever that user
    does to the tree meanwhile cannot send a write outside it.
    """
    with _Tree(target, owner) as tree:
        pending_name = None
        while True:
            header = _read_exact(src, BLOCK)
            if len(header) < BLOCK:
                raise EOFError('the tar stream ends inside a header')
            parsed = parse_header(header)
            if parsed is None:
                break
            name, size, kind = parsed
            padding = (-size) % BLOCK
            if kind in (b'L', b'x', b'g'):
                data = _read_exact(src, size + padding)[:size]
                if len(data) < size:
                    raise EOFError('the tar stream ends inside a header')
                if kind == b'L':
                    pending_name = data.split(b'\0', 1)[0]
                elif kind == b'x':
                    pending_name = _pax_path(data) or pending_name
                continue
            if pending_name is not None:
                name, pending_name = pending_name, None
            parts = _member_parts(name, kind)
            if kind == b'5':
                if parts:   # not the archive's own top directory ('./')
                    os.fchmod(tree.directory(parts), _mode(header) | 0o700)
                _skip(src, size + padding)
                continue
            if kind not in (b'0', b'\0', b'7'):
                raise UnsafeMember('the backup holds %s, which a restore does not write: %s'
                                   % (_KINDS.get(kind, 'an entry of type %r' % kind),
                                      _clean(name)))
            fd = tree.create_file(parts, _mode(header))
            try:
                _copy_exact(src, fd, size)
            finally:
                os.close(fd)
            _skip(src, padding)
        while os.read(src, SPLICE_MAX):   # the zero blocks that end the archive's last record
            pass


class _Tree:
    """Open descriptors of the directories made so far, by their parts below the top."""

    _DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

    def __init__(self, top, owner):
        self.owner = owner
        self.fds = {(): os.open(top, self._DIRECTORY)}

    def directory(self, parts):
        fd = self.fds.get(parts)
        if fd is None:
            parent = self.directory(parts[:-1])
            try:
                os.mkdir(parts[-1], 0o700, dir_fd=parent)
            except FileExistsError:
                pass
            try:
                fd = os.open(parts[-1], self._DIRECTORY, dir_fd=parent)
            except OSError:   # a file, or a link, where a directory goes
                raise UnsafeMember('the backup holds a directory over something else: %s'
                                   % '/'.join(parts))
            self._own(fd)
            self.fds[parts] = fd
        return fd

    def create_file(self, parts, mode):
        try:
            fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW |
                         os.O_CLOEXEC, mode, dir_fd=self.directory(parts[:-1]))
        except OSError as exc:
            if exc.errno not in (errno.EISDIR, errno.ELOOP):
                raise
            raise UnsafeMember('the backup holds a file over something else: %s'
                               % '/'.join(parts))
        self._own(fd)
        return fd

    def _own(self, fd):
        if self.owner is not None:
            os.fchown(fd, *self.owner)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for fd in self.fds.values():
            os.close(fd)


_KINDS = {b'1': 'a hard link', b'2': 'a symbolic link', b'3': 'a character device',
          b'4': 'a block device', b'6': 'a FIFO', b'S': 'a sparse file'}


def _mode(header):
    text = header[100:108].split(b'\0', 1)[0].strip()
    return (int(text, 8) if text else 0o600) & 0o777


def _pax_path(data):
    """The 'path' record of a pax extended header ('<len> path=<name>\n' records)."""
    view = data
    while view:
        length_text = view.partition(b' ')[0]
        if not length_text.isdigit():
            return None
        length = int(length_text)
        record, view = view[:length], view[length:]
        key, _, value = record[len(length_text) + 1:].partition(b'=')
        if key == b'path':
            return value.rstrip(b'\n')
    return None


def _member_parts(name, kind):
    """The member's path as a tuple of names below the top; () for the top directory itself."""
    text = _clean(name).rstrip('/')
    if kind == b'5' and text in ('', '.'):
        return ()
    parts = tuple(text.split('/'))
    if not text or name.startswith(b'/') or any(part in ('', '.', '..') for part in parts):
        raise UnsafeMember('the backup holds a path a restore does not write: %r' % text)
    return parts


def _copy_exact(src, dst, size):
    """Move `size` bytes from the pipe `src` into the file `dst`: splice, else read and write."""
    while size:
        try:
            moved = os.splice(src, dst, min(size, SPLICE_MAX))
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                raise
            data = os.read(src, min(size, SPLICE_MAX))   # a file system without splice
            _write_all(dst, data)
            moved = len(data)
        if not moved:
            raise EOFError('the tar stream ends inside a member')
        size -= moved


def _skip(src, size):
    while size:
        data = os.read(src, min(size, SPLICE_MAX))
        if not data:
            raise EOFError('the tar stream ends inside a member')
        size -= len(data)


def _read_exact(fd, size):
    chunks, wanted = [], size
    while wanted:
        data = os.read(fd, min(wanted, SPLICE_MAX))
        if not data:
            break
        chunks.append(data)
        wanted -= len(data)
    return b''.join(chunks)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _splice_exact(src, dst, size):
    """Move `size` bytes; False if the source ended first."""
    while size:
        moved = os.splice(src, dst, min(size, SPLICE_MAX))
        if not moved:
            return False
        size -= moved
    return True
