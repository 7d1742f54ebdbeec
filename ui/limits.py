"""How much a browser may send the server, enforced as the bytes arrive.

A page's clicks and keystrokes come over its Bokeh websocket; files do not:
the page POSTs them to ``/upload`` (:mod:`.uploads`), which streams them to
disk.  Besides that route, the app's only POST (``/session``) carries a ticket
of a few hundred bytes.  So:

- **HTTP bodies** are capped at :data:`HTTP_BODY_BYTES` (Tornado's
  ``max_body_size``: a larger ``Content-Length`` is refused from the header, a
  chunked body is cut off once it passes the cap), instead of Tornado's
  100 MB buffered in memory for any URL.  ``/upload`` alone raises its own
  request's cap to the document limit, after checking the session, and
  writes the body to a file as it arrives.
- **Websocket frames** are capped by Tornado from each frame's header:
  :data:`PAGE_MESSAGE_BYTES` for a logged-in page (forms, never files) and
  :data:`ANONYMOUS_MESSAGE_BYTES` before login.
- **Bokeh messages** are capped as a whole.  A Bokeh message is several
  frames (header, metadata, content, then as many buffer frames as its header
  announces), and Bokeh keeps them all until the last arrives; capping frames
  alone let a visitor announce 100,000 buffers and send 256 KB frames until
  the server ran out of memory.  :func:`cap_websockets` counts the bytes of
  the message in progress and closes the socket (1009, with a Chinese reason)
  once they pass the page's cap.
- **Websockets per user**: one logged-in user holds at most
  :data:`SOCKETS_PER_USER` logged-in pages at once; a page beyond that is
  closed (1008) with a Chinese reason the page shows.
- **In the browser** a file over the document limit is refused before it is
  read (:data:`FILE_CHECK_SCRIPT`), with a Chinese message naming the file,
  its size and the limit: otherwise the page would send it and the server
  would refuse it, which staff would see only as a failed upload.
"""
from __future__ import annotations

import logging

from tongchou.documents import MAX_BYTES

log = logging.getLogger("tongchou.ui")

#: Largest Bokeh message of a logged-in page: forms and clicks, and the token
#: of a file uploaded over HTTP; files themselves never come this way.
PAGE_MESSAGE_BYTES = 1024 * 1024
#: Before login a page sends clicks and keystrokes only: far below Tornado's
#: 10 MiB default, so an anonymous visitor cannot make the server buffer much.
ANONYMOUS_MESSAGE_BYTES = 256 * 1024
#: Largest HTTP request body (only ``POST /session`` has one, a short ticket).
HTTP_BODY_BYTES = 64 * 1024
#: Logged-in pages (websockets) one user may hold at once on one server.  Each
#: may send messages of :data:`PAGE_MESSAGE_BYTES`; several tabs are normal use.
SOCKETS_PER_USER = 8
#: Close code for a page beyond :data:`SOCKETS_PER_USER` ("policy violation").
TOO_MANY_PAGES = 1008
#: Counted for every frame besides its bytes: a flood of empty buffer frames
#: costs the server list entries and objects, not payload.
FRAME_OVERHEAD = 64


def _mb(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def refusal_reason(cap: int) -> str:
    """The close reason sent with code 1009 (at most 123 bytes of UTF-8)."""
    if cap <= ANONYMOUS_MESSAGE_BYTES:
        return f"登录前发送的内容超过 {_mb(cap)} 上限"
    return f"页面发送的内容超过 {_mb(cap)} 上限；文件请用上传按钮"


def too_many_pages_reason() -> str:
    """The close reason for a page beyond :data:`SOCKETS_PER_USER` (under 123 bytes of UTF-8)."""
    return f"同一账号同时打开的页面已达 {SOCKETS_PER_USER} 个，本页已断开；请关闭不用的页面后刷新"


#: user name -> that user's logged-in websockets (handlers) on this server
_PAGES: dict[str, set] = {}


def count_page(handler, user: str) -> bool:
    """Count ``handler`` as one of ``user``'s pages; False (and nothing
    counted) if the user already holds :data:`SOCKETS_PER_USER`."""
    pages = _PAGES.setdefault(user, set())
    if handler in pages:
        return True
    if len(pages) >= SOCKETS_PER_USER:
        log.warning("websocket closed: %s already holds %d pages", user, len(pages))
        return False
    pages.add(handler)
    handler._tongchou_user = user
    return True


def _refuse_page(handler) -> None:
    handler._tongchou_refused = True
    handler.close(TOO_MANY_PAGES, too_many_pages_reason())


def cap_websockets(page_user) -> None:
    """Patch Bokeh's websocket handler once per process: ``page_user(handler)``
    names the user of the live session whose cookie a new socket carries, or
    None (its frames are then capped at :data:`ANONYMOUS_MESSAGE_BYTES` until
    its page logs in); a named user's socket counts as one of their pages; and
    every Bokeh message is capped as a whole at the socket's current frame cap."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler, "_tongchou_capped", False):
        WSHandler._tongchou_page_user = staticmethod(page_user)
        return
    WSHandler._tongchou_page_user = staticmethod(page_user)
    get_protocol = WSHandler.get_websocket_protocol
    on_message = WSHandler.on_message
    on_close = WSHandler.on_close
    bokeh_open = WSHandler.open

    def counted_open(self, *args, **kwargs):
        user = getattr(self, "_tongchou_open_user", None)
        if user is not None and not count_page(self, user):
            _refuse_page(self)  # before Bokeh opens a session for it
            return None
        return bokeh_open(self, *args, **kwargs)

    def counted_on_close(self):
        user = getattr(self, "_tongchou_user", None)
        if user is not None:
            pages = _PAGES.get(user, set())
            pages.discard(self)
            if not pages:
                _PAGES.pop(user, None)
        return on_close(self)

    def get_websocket_protocol(self):
        protocol = get_protocol(self)
        if protocol is not None:
            self._tongchou_open_user = WSHandler._tongchou_page_user(self)
            if self._tongchou_open_user is None:
                protocol.params.max_message_size = min(protocol.params.max_message_size, ANONYMOUS_MESSAGE_BYTES)
        return protocol

    async def capped_on_message(self, fragment):
        if getattr(self, "_tongchou_refused", False):
            return None  # frames still in flight after the close: dropped unread
        receiver = getattr(self, "receiver", None)
        consumer = getattr(getattr(receiver, "_current_consumer", None), "__name__", "_HEADER")
        size = len(fragment) + FRAME_OVERHEAD
        # A header frame starts a new message; every later frame adds to it.
        total = size if consumer == "_HEADER" else getattr(self, "_tongchou_bytes", 0) + size
        self._tongchou_bytes = total
        params = getattr(getattr(self, "ws_connection", None), "params", None)
        cap = params.max_message_size if params is not None else ANONYMOUS_MESSAGE_BYTES
        if total > cap:
            log.warning("websocket closed: a message of more than %d bytes (cap %d) from %s",
                        total, cap, self.request.remote_ip)
            if receiver is not None:  # drop what was kept of the message
                receiver._partial = receiver._message = None
                receiver._fragments = []
            self._tongchou_refused = True
            self.close(1009, refusal_reason(cap))
            return None
        return await on_message(self, fragment)

    WSHandler.get_websocket_protocol = get_websocket_protocol
    WSHandler.on_message = capped_on_message
    WSHandler.on_close = counted_on_close
    WSHandler.open = counted_open
    WSHandler._tongchou_capped = True


def lift_cap(connections, user: str | None = None) -> bool:
    """Raise the frame cap of a page's websockets to :data:`PAGE_MESSAGE_BYTES`
    (called when the page logs in, or resumes a session on load), counting
    them as ``user``'s pages.  A page beyond :data:`SOCKETS_PER_USER` is closed
    instead, with a Chinese reason the page shows; False then."""
    for connection in connections or ():
        handler = getattr(connection, "_socket", None)
        ws = getattr(handler, "ws_connection", None)
        params = getattr(ws, "params", None)
        if params is None:
            continue
        if user is not None and not count_page(handler, user):
            _refuse_page(handler)
            return False
        params.max_message_size = PAGE_MESSAGE_BYTES
    return True


#: Put in the page's <head>, before Bokeh renders anything.  File inputs live
#: in shadow roots, and their ``change`` event does not leave its root; so a
#: capturing listener goes on every shadow root as it is attached (and on the
#: document), and runs before the widget's own listener.  A file over the limit
#: stops the event there: Bokeh never reads it, nothing is sent.
FILE_CHECK_SCRIPT = """
<script>
(function () {
  var LIMIT = %(limit)d, LIMIT_TEXT = "%(limit_text)s";
  function mb(n) { return (n / 1048576).toFixed(1) + " MB"; }
  function show(text, stay) {
    var box = document.getElementById("tc-upload-refused");
    if (!box) {
      box = document.createElement("div");
      box.id = "tc-upload-refused";
      box.className = "tc-upload-refused";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;top:12px;left:50%%;transform:translateX(-50%%);z-index:10000;" +
        "max-width:90vw;padding:10px 16px;border-radius:8px;background:#fef3f2;color:#b42318;" +
        "border:1px solid #fda29b;box-shadow:0 4px 12px rgba(16,24,40,.12);font-size:14px;";
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.style.display = "block";
    clearTimeout(box._tcTimer);
    if (!stay) box._tcTimer = setTimeout(function () { box.style.display = "none"; }, 15000);
  }
  function check(ev) {
    var el = ev.composedPath ? ev.composedPath()[0] : ev.target;
    if (!el || el.tagName !== "INPUT" || el.type !== "file" || !el.files) return;
    var box = document.getElementById("tc-upload-refused");
    if (box) box.style.display = "none";
    for (var i = 0; i < el.files.length; i++) {
      var f = el.files[i];
      if (f.size > LIMIT) {
        ev.stopImmediatePropagation();
        el.value = "";
        show("文件“" + f.name + "”（" + mb(f.size) + "）超过 " + LIMIT_TEXT +
             " 上限，未上传；请压缩或拆分后再上传。");
        return;
      }
    }
  }
  // A page the server closes for a stated reason (too big a message, too many
  // pages of one user) says so, instead of going silently dead.
  var NativeSocket = window.WebSocket;
  if (NativeSocket) {
    window.WebSocket = function (url, protocols) {
      var ws = protocols === undefined ? new NativeSocket(url) : new NativeSocket(url, protocols);
      ws.addEventListener("close", function (ev) {
        // Only the server's own Chinese reasons (Tornado's are English).
        if ((ev.code === 1008 || ev.code === 1009) && /[^\\x00-\\x7f]/.test(ev.reason)) { show(ev.reason + "。", true); }
      });
      return ws;
    };
    window.WebSocket.prototype = NativeSocket.prototype;
    ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { window.WebSocket[k] = NativeSocket[k]; });
  }
  var attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    var root = attach.call(this, init);
    root.addEventListener("change", check, true);
    return root;
  };
  document.addEventListener("change", check, true);
})();
</script>
""" % {"limit": MAX_BYTES, "limit_text": _mb(MAX_BYTES)}
