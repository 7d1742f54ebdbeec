"""How much a browser may send the server, enforced as the bytes arrive.

Everything a page sends (clicks, keystrokes, uploaded files) comes over its
Bokeh websocket; the app has no HTTP upload route, and its only POST
(``/session``) carries a ticket of a few hundred bytes.  So:

- **HTTP bodies** are capped at :data:`HTTP_BODY_BYTES` (Tornado's
  ``max_body_size``: a larger ``Content-Length`` is refused from the header, a
  chunked body is cut off once it passes the cap), instead of Tornado's
  100 MB buffered in memory for any URL.
- **Websocket frames** are capped by Tornado from each frame's header:
  :data:`UPLOAD_MESSAGE_BYTES` for a logged-in page (the document limit as
  base64, with room for Bokeh's envelope) and :data:`ANONYMOUS_MESSAGE_BYTES`
  before login.
- **Bokeh messages** are capped as a whole.  A Bokeh message is several
  frames (header, metadata, content, then as many buffer frames as its header
  announces), and Bokeh keeps them all until the last arrives; capping frames
  alone let a visitor announce 100,000 buffers and send 256 KB frames until
  the server ran out of memory.  :func:`cap_websockets` counts the bytes of
  the message in progress and closes the socket (1009, with a Chinese reason)
  once they pass the page's cap.
- **In the browser** a file over the document limit is refused before it is
  read (:data:`FILE_CHECK_SCRIPT`), with a Chinese message naming the file,
  its size and the limit: otherwise the page would send it and the server
  would close the connection, which staff would see only as a lost page.
"""
from __future__ import annotations

import logging

from tongchou.documents import MAX_BYTES

log = logging.getLogger("tongchou.ui")

#: Largest Bokeh message of a logged-in page: an upload (the store's 20 MB as
#: base64) with room for Bokeh's envelope.
UPLOAD_MESSAGE_BYTES = MAX_BYTES * 4 // 3 + 1024 * 1024
#: Before login a page sends clicks and keystrokes only: far below Tornado's
#: 10 MiB default, so an anonymous visitor cannot make the server buffer much.
ANONYMOUS_MESSAGE_BYTES = 256 * 1024
#: Largest HTTP request body (only ``POST /session`` has one, a short ticket).
HTTP_BODY_BYTES = 64 * 1024
#: Counted for every frame besides its bytes: a flood of empty buffer frames
#: costs the server list entries and objects, not payload.
FRAME_OVERHEAD = 64


def _mb(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def refusal_reason(cap: int) -> str:
    """The close reason sent with code 1009 (at most 123 bytes of UTF-8)."""
    if cap <= ANONYMOUS_MESSAGE_BYTES:
        return f"登录前发送的内容超过 {_mb(cap)} 上限"
    return f"上传文件超过 {_mb(MAX_BYTES)} 上限"


def cap_websockets(anonymous) -> None:
    """Patch Bokeh's websocket handler once per process: ``anonymous(handler)``
    says whether a new socket was opened without a valid session cookie (its
    frames are then capped at :data:`ANONYMOUS_MESSAGE_BYTES` until its page
    logs in), and every Bokeh message is capped as a whole at the socket's
    current frame cap."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler, "_tongchou_capped", False):
        WSHandler._tongchou_anonymous = staticmethod(anonymous)
        return
    WSHandler._tongchou_anonymous = staticmethod(anonymous)
    get_protocol = WSHandler.get_websocket_protocol
    on_message = WSHandler.on_message

    def get_websocket_protocol(self):
        protocol = get_protocol(self)
        if protocol is not None and WSHandler._tongchou_anonymous(self):
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
    WSHandler._tongchou_capped = True


def lift_cap(connections) -> None:
    """Raise the frame cap of a page's websockets to :data:`UPLOAD_MESSAGE_BYTES`
    (called when the page logs in)."""
    for connection in connections or ():
        ws = getattr(getattr(connection, "_socket", None), "ws_connection", None)
        params = getattr(ws, "params", None)
        if params is not None:
            params.max_message_size = UPLOAD_MESSAGE_BYTES


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
  function show(text) {
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
    box._tcTimer = setTimeout(function () { box.style.display = "none"; }, 15000);
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
