"""Keeps the browser from re-sending, in full, widgets the server just sent it.

Why the server log said ``BokehUserWarning: reference already known``: BokehJS
(3.x) marks every model it receives in a server patch as *new*
(``Document._new_models``) and forgets that only when the browser next sends
a patch of its own.  A page that arrives after a click (a project page after
a row of the ledger, the home page after the login form, a form after an
action button) often makes the browser send nothing back; the user's next
click then serialises the button or table it came from as a whole new
object, although the server made it.  The server recognises the id, warns,
and uses the model it has.

The fix is made where the mistake is: after the browser applies a server
patch, the models defined in that patch are known to the server, so they are
taken out of ``_new_models``.  Models the browser makes itself stay there and
are still sent in full.  Nothing else in BokehJS changes; a BokehJS that
already gets this right is left as it is (the models are simply not there).
"""
from __future__ import annotations

from panel.custom import JSComponent


class ServerModels(JSComponent):
    """Put once in the page (it renders an empty span): see the module docstring."""

    _esm = """
    // the ids of the objects defined in a patch ({type: "object", id, ...})
    function collect(value, ids) {
      if (Array.isArray(value)) {
        for (const v of value) collect(v, ids)
      } else if (value != null && typeof value === "object" && !ArrayBuffer.isView(value)
                 && !(value instanceof ArrayBuffer)) {
        if (value.type === "object" && typeof value.id === "string") ids.add(value.id)
        for (const key of Object.keys(value)) collect(value[key], ids)
      }
    }

    export function render({ view }) {
      const doc = view.model.document
      if (doc != null && !doc.__tc_server_models && typeof doc.apply_json_patch === "function"
          && doc._new_models instanceof Set && doc._all_models instanceof Map) {
        doc.__tc_server_models = true
        const apply = doc.apply_json_patch.bind(doc)
        doc.apply_json_patch = (patch, buffers) => {
          apply(patch, buffers)
          const ids = new Set()
          collect(patch != null ? patch.events : null, ids)
          for (const id of ids) {
            const m = doc._all_models.get(id)
            if (m != null) doc._new_models.delete(m)
          }
        }
      }
      return document.createElement("span")
    }
    """
