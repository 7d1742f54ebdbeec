"""Policy packs that ship with Tongchou.  ``xichuan`` is the reference pack and
the default jurisdiction; other jurisdictions install their own distribution
and register it in the ``tongchou`` entry-point group."""
