"""Files chosen on a page reach the server over HTTP, streamed to disk.

Panel's ``FileInput`` sends a file over the page's websocket as one Bokeh
message: base64 text that Tornado buffers whole, unmasks and decodes, that
Bokeh parses as JSON and Panel decodes again.  A 20 MB file took the server
about 8× its size at once (a 150 MB server peaked near 330 MB).  Here the
page POSTs the file itself to ``/upload``; :class:`UploadHandler` streams it
(``@stream_request_body``, Tornado's pieces of 64 KB) into a private
temporary file and answers with a random token, which the page hands to its
Python side over the websocket.  The server then holds the file once, when
the user stores it.  The websocket itself no longer carries files, so a
logged-in page's message cap drops to :data:`~.limits.PAGE_MESSAGE_BYTES`.

Who may upload: the POST must carry the session cookie of a live session
(HttpOnly, SameSite=Strict: another site's page cannot send it), come from
this server's origin, and name the page's upload key, signed for that same
session (:meth:`SessionBook.upload_key`).  A token is claimed only by the
widget holding the key it was uploaded with.

What is kept: each file 0600 in a 0700 folder (``TONGCHOU_UPLOAD_DIR``, else
the system's temporary folder), removed when the page stores it, replaces it,
after :data:`PENDING_SECONDS`, when one user has more than
:data:`PENDING_PER_USER` waiting, and when the server stops (or, if it was
killed, when the next server starts: :func:`sweep_stale`).
"""
from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import attrs
import param
from panel.custom import JSComponent
from tornado.web import RequestHandler, stream_request_body

from tongchou.documents import MAX_BYTES

from .sessions import COOKIE, _same_origin

log = logging.getLogger("tongchou.ui")

PATH = "/upload"
KEY_HEADER = "X-Tongchou-Upload"
NAME_HEADER = "X-Tongchou-Filename"
#: Files of one user waiting to be stored: the oldest goes beyond this.
PENDING_PER_USER = 6
#: A file not stored within this many seconds is removed.
PENDING_SECONDS = 3600


def mb_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def limit_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


def too_big(name: str, size: int, limit: int = MAX_BYTES) -> str:
    """The refusal that names the file, its size and the limit (the page says the same)."""
    return f"文件“{name}”（{mb_text(size)}）超过 {limit_text(limit)} 上限，未上传；请压缩或拆分后再上传。"


@attrs.frozen
class Pending:
    token: str
    key: str
    user: str
    path: Path
    filename: str
    size: int
    created: float


class UploadBook:
    """The files uploaded to one server and not yet stored."""

    def __init__(self, sessions=None, *, folder: str | Path | None = None, max_bytes: int = MAX_BYTES,
                 clock=time.time):
        self.sessions = sessions
        self.max_bytes = max_bytes
        self.clock = clock
        self._folder = Path(folder) if folder else None
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        if self._folder is None:
            base = Path(os.environ.get("TONGCHOU_UPLOAD_DIR") or tempfile.gettempdir())
            sweep_stale(base)
            folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))  # 0700
            # Held while this process lives: a server stopped by a signal skips
            # atexit, and the next one removes its folder (the lock is free then).
            self._lock_fd = os.open(folder / LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            atexit.register(shutil.rmtree, folder, True)
            self._folder = folder
        return self._folder

    def new_file(self) -> tuple[str, Path, int]:
        """A token and a fresh, owner-only file for it (open, write-only)."""
        token = secrets.token_urlsafe(24)
        path = self.folder / token
        return token, path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def add(self, token: str, key: str, user: str, path: Path, filename: str, size: int) -> Pending:
        item = Pending(token, key, user, path, filename, size, self.clock())
        with self._lock:
            self._pending[token] = item
            stale = self._expired_locked(user)
        for old in stale:
            _unlink(old.path)
        return item

    def _expired_locked(self, user: str) -> list[Pending]:
        now = self.clock()
        gone = [p for p in self._pending.values() if now - p.created > PENDING_SECONDS]
        mine = sorted((p for p in self._pending.values() if p.user == user and p not in gone),
                      key=lambda p: p.created)
        gone += mine[:max(0, len(mine) - PENDING_PER_USER)]
        for p in gone:
            self._pending.pop(p.token, None)
        return gone

    def claim(self, token: str, key: str) -> Pending | None:
        """The upload ``token`` names, if it was made with ``key`` and is still kept."""
        with self._lock:
            item = self._pending.get(token)
        if item is None or not secrets.compare_digest(item.key, key) or not item.path.exists():
            return None
        return item

    def discard(self, token: str | None) -> None:
        if not token:
            return
        with self._lock:
            item = self._pending.pop(token, None)
        if item is not None:
            _unlink(item.path)

    def put(self, key: str, user: str, filename: str, data: bytes) -> Pending:
        """What the HTTP route does, for a page used without a server (tests, notebooks)."""
        if len(data) > self.max_bytes:
            raise ValueError(too_big(filename, len(data), self.max_bytes))
        token, path, fd = self.new_file()
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return self.add(token, key, user, path, filename, len(data))

    def key_for(self, app) -> str:
        """The upload key of a page: signed for its browser session, when it has one."""
        if self.sessions is not None and getattr(app, "session", None) is not None:
            return self.sessions.upload_key(app.session)
        return "local:" + secrets.token_urlsafe(16)


PREFIX = "tongchou-uploads-"
LOCK = ".lock"


def sweep_stale(base: Path) -> list[Path]:
    """Remove the upload folders under ``base`` that no running server holds
    (their owner was killed); the folders of live servers stay."""
    gone = []
    for folder in base.glob(PREFIX + "*"):
        try:
            if not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            fd = os.open(folder / LOCK, os.O_WRONLY)
        except OSError:
            continue  # not ours, or a folder still being set up
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live server's
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        gone.append(folder)
    return gone


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


_BOOK: UploadBook | None = None


def book() -> UploadBook:
    """The server's book (set by :func:`install`), else one for this process."""
    global _BOOK
    if _BOOK is None:
        _BOOK = UploadBook()
    return _BOOK


def install(sessions) -> UploadBook:
    global _BOOK
    _BOOK = UploadBook(sessions)
    return _BOOK


# -- the HTTP route -----------------------------------------------------------------------------


@stream_request_body
class UploadHandler(RequestHandler):
    """POST /upload: the file's bytes as the body, its name (URL-encoded) and
    the page's upload key in headers.  Answers ``{"token", "name", "size"}``,
    or ``{"error": "<中文>"}`` with 403, 411 or 413."""

    def initialize(self, uploads: UploadBook) -> None:
        self.uploads = uploads
        self._fh = None
        self._path: Path | None = None
        self._received = 0

    def check_xsrf_cookie(self) -> None:  # SameSite=Strict, the Origin check and the signed key stand in
        return None

    def _refuse(self, status: int, message: str) -> None:
        log.warning("upload refused (%d): %s from %s", status, message, self.request.remote_ip)
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"error": message}, ensure_ascii=False))

    def prepare(self) -> None:
        if self.request.method != "POST":
            self._refuse(405, "只接受 POST 上传")
            return
        if not _same_origin(self):
            self._refuse(403, "不接受来自其他网站的上传")
            return
        self.filename = unquote(self.request.headers.get(NAME_HEADER, ""))[:255] or "document"
        sessions = self.uploads.sessions
        session = sessions.verify_cookie(self.get_cookie(COOKIE)) if sessions is not None else None
        keyed = sessions.verify_upload_key(self.request.headers.get(KEY_HEADER)) if sessions is not None else None
        try:
            live = session is not None and sessions.problem(session, check_log=True) is None
        except Exception:  # the ledger unreachable: nothing is taken
            log.exception("session check for an upload failed")
            live = False
        if not live or keyed is None or keyed.sid != session.sid:
            self._refuse(403, "登录已失效或页面已过期，未上传；请刷新页面、重新登录后再上传。")
            return
        self.user = session.user
        length = self.request.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._refuse(411, f"文件“{self.filename}”未声明大小，未上传。")
            return
        if int(length) > self.uploads.max_bytes:  # refused from the header, before the body is read
            self._refuse(413, too_big(self.filename, int(length), self.uploads.max_bytes))
            return
        self.request.connection.set_max_body_size(self.uploads.max_bytes)
        self.token, self._path, fd = self.uploads.new_file()
        self._fh = os.fdopen(fd, "wb")

    def data_received(self, chunk: bytes) -> None:
        if self._fh is None:
            return  # refused: what still arrives is dropped unread
        self._received += len(chunk)
        if self._received > self.uploads.max_bytes:
            self._drop()
            self._refuse(413, too_big(self.filename, self._received, self.uploads.max_bytes))
            return
        self._fh.write(chunk)

    def post(self) -> None:
        if self._fh is None:
            return
        self._fh.close()
        self._fh = None
        key = self.request.headers.get(KEY_HEADER, "")
        item = self.uploads.add(self.token, key, self.user, self._path, self.filename, self._received)
        self._path = None
        self.set_header("Cache-Control", "no-store")
        self.write({"token": item.token, "name": item.filename, "size": item.size})

    def _drop(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._path is not None:
            _unlink(self._path)
            self._path = None

    def on_connection_close(self) -> None:  # the browser went away mid-upload
        self._drop()
        super().on_connection_close()

    def on_finish(self) -> None:
        self._drop()  # anything not handed over by post() is not kept


def routes(uploads: UploadBook) -> list[tuple[str, type, dict]]:
    return [(PATH, UploadHandler, {"uploads": uploads})]


# -- the widget --------------------------------------------------------------------------------


class FileUpload(JSComponent):
    """A file chooser that uploads the chosen file at once over HTTP.

    ``read()``/``path()`` give the file, ``filename`` its name, ``clear()``
    forgets it.  A button pressed while the file is still on its way waits
    for it (:meth:`when_ready`)."""

    accept = param.String(default="")
    key = param.String(default="")
    limit = param.Integer(default=MAX_BYTES)
    uploaded = param.String(default="", doc="JSON [token, name, size], set by the page after an upload")
    busy = param.Boolean(default=False, doc="True while the page is uploading")
    reset = param.Integer(default=0, doc="Increased to empty the chooser")
    filename = param.String(default="")

    _esm = """
    export function render({ model }) {
      const box = document.createElement("div")
      box.className = "tc-upload-box"
      const input = document.createElement("input")
      input.type = "file"
      input.accept = model.accept
      const note = document.createElement("div")
      note.className = "tc-upload-status"
      box.append(input, note)
      const mb = (n) => (n / 1048576).toFixed(1) + " MB"
      const limitText = Math.floor(model.limit / 1048576) + " MB"
      let current = null
      const failed = (text) => { input.value = ""; note.textContent = text; note.dataset.state = "error" }
      input.addEventListener("change", () => {
        if (current) { current.abort(); current = null }
        const file = input.files && input.files[0]
        note.textContent = ""
        note.dataset.state = ""
        if (!file) return
        if (file.size > model.limit) {
          failed("文件“" + file.name + "”（" + mb(file.size) + "）超过 " + limitText +
                 " 上限，未上传；请压缩或拆分后再上传。")
          return
        }
        model.busy = true
        note.textContent = "正在上传“" + file.name + "”…"
        note.dataset.state = "busy"
        const xhr = new XMLHttpRequest()
        current = xhr
        xhr.open("POST", "upload")
        xhr.setRequestHeader("X-Tongchou-Upload", model.key)
        xhr.setRequestHeader("X-Tongchou-Filename", encodeURIComponent(file.name))
        xhr.setRequestHeader("Content-Type", "application/octet-stream")
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable && current === xhr) {
            note.textContent = "正在上传“" + file.name + "”：" + Math.floor(100 * e.loaded / e.total) + "%"
          }
        }
        xhr.onload = () => {
          if (current !== xhr) return
          current = null
          let body = {}
          try { body = JSON.parse(xhr.responseText) } catch (e) {}
          if (xhr.status === 200 && body.token) {
            note.textContent = "已上传“" + file.name + "”（" + mb(file.size) + "）"
            note.dataset.state = "done"
            model.uploaded = JSON.stringify([body.token, body.name, body.size])
          } else {
            failed(body.error || ("“" + file.name + "”上传失败（" + xhr.status + "），请重试。"))
          }
          model.busy = false
        }
        xhr.onerror = () => {
          if (current !== xhr) return
          current = null
          failed("“" + file.name + "”上传失败：与服务器的连接中断，请重试。")
          model.busy = false
        }
        xhr.send(file)
      })
      model.on("reset", () => { input.value = ""; note.textContent = ""; note.dataset.state = "" })
      return box
    }
    """

    _stylesheets = [".tc-upload-status { font-size: 12px; color: #475467; margin-top: 4px; }"
                    ".tc-upload-status[data-state=error] { color: #b42318; }"]

    def __init__(self, uploads: UploadBook | None = None, user: str = "", **params):
        super().__init__(**params)
        self._book = uploads or book()
        self._user = user
        self._item: Pending | None = None
        self._waiting: list = []
        self.param.watch(self._arrived, "uploaded")
        self.param.watch(self._settled, "busy")

    @classmethod
    def for_app(cls, app, **params) -> "FileUpload":
        uploads = book()
        actor = getattr(app, "actor", None)
        return cls(uploads, getattr(actor, "name", ""), key=uploads.key_for(app), **params)

    def _arrived(self, event) -> None:
        old = self._item
        self._item = None
        try:
            token, _name, _size = json.loads(event.new) if event.new else (None, None, None)
        except (ValueError, TypeError):
            token = None
        if token:
            self._item = self._book.claim(str(token), self.key)
        if old is not None and (self._item is None or old.token != self._item.token):
            self._book.discard(old.token)
        self.filename = self._item.filename if self._item else ""

    def _settled(self, event) -> None:
        if event.new:
            return
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            fn()

    def when_ready(self, fn) -> None:
        """Run ``fn`` now, or once the file being uploaded has arrived."""
        if self.busy:
            self._waiting.append(fn)
        else:
            fn()

    def put(self, filename: str, data: bytes) -> None:
        """Choose a file from Python (tests; a page without a browser)."""
        item = self._book.put(self.key, self._user, filename, data)
        self.uploaded = json.dumps([item.token, item.filename, item.size])

    @property
    def size(self) -> int:
        return self._item.size if self._item else 0

    def path(self) -> Path | None:
        """The uploaded file, while it is kept."""
        if self._item is None or not self._item.path.exists():
            return None
        return self._item.path

    def read(self) -> bytes | None:
        path = self.path()
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def clear(self) -> None:
        """Forget the file (removed from the server) and empty the chooser."""
        if self._item is not None:
            self._book.discard(self._item.token)
        self._item = None
        self.filename = ""
        self.uploaded = ""
        self.reset += 1


def file_upload(app, *, accept: str, css_classes: list[str], **params) -> FileUpload:
    """The page's file chooser (replaces ``pn.widgets.FileInput``)."""
    return FileUpload.for_app(app, accept=accept, css_classes=css_classes, **params)


