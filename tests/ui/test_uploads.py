"""The book of uploaded files waiting to be stored (ui/uploads.py), in process:
who may claim a file, how many wait, how long, and what a killed server leaves."""
from __future__ import annotations

import fcntl
import json
import os

from tongchou.ui import uploads
from tongchou.ui.uploads import FileUpload, UploadBook


def test_a_file_is_claimed_only_with_the_key_it_was_uploaded_with(tmp_path):
    book = UploadBook(folder=tmp_path)
    item = book.put("key-a", "jiaoyu", "方案.pdf", b"%PDF-1.4\n")
    assert item.path.stat().st_mode & 0o777 == 0o600
    assert book.claim(item.token, "key-b") is None
    assert book.claim(item.token, "key-a").filename == "方案.pdf"
    # A widget holding another key does not get it either, whatever the page sends.
    other = FileUpload(book, "jiaoyu", key="key-b")
    other.uploaded = json.dumps([item.token, "方案.pdf", 9])
    assert other.read() is None and other.filename == ""
    mine = FileUpload(book, "jiaoyu", key="key-a")
    mine.uploaded = json.dumps([item.token, "方案.pdf", 9])
    assert mine.read() == b"%PDF-1.4\n" and mine.filename == "方案.pdf"
    mine.clear()
    assert not item.path.exists() and mine.read() is None


def test_a_new_file_replaces_the_last_and_a_click_waits_for_the_upload(tmp_path):
    book = UploadBook(folder=tmp_path)
    chooser = FileUpload(book, "jiaoyu", key="k")
    chooser.put("a.pdf", b"a")
    first = chooser.path()
    chooser.put("b.pdf", b"b")
    assert not first.exists() and chooser.read() == b"b"
    ran = []
    chooser.busy = True  # the page is still sending a file
    chooser.when_ready(lambda: ran.append(chooser.filename))
    assert ran == []
    chooser.put("c.pdf", b"c")
    chooser.busy = False
    assert ran == ["c.pdf"]


def test_files_waiting_are_bounded_per_user_and_in_time(tmp_path):
    now = [1000.0]
    book = UploadBook(folder=tmp_path, clock=lambda: now[0])
    items = [book.put(f"k{i}", "jiaoyu", f"{i}.pdf", b"x") for i in range(uploads.PENDING_PER_USER + 2)]
    kept = [i for i in items if book.claim(i.token, i.key)]
    assert kept == items[2:] and not items[0].path.exists()
    other = book.put("k", "drc", "drc.pdf", b"x")  # another user's files do not push these out
    assert book.claim(items[2].token, "k2") is not None
    now[0] += uploads.PENDING_SECONDS + 1
    book.put("k", "drc", "later.pdf", b"x")
    assert all(book.claim(i.token, i.key) is None for i in kept + [other])
    assert sorted(p.name for p in tmp_path.iterdir()) == [t for t in sorted(book._pending)]


def test_a_killed_servers_folder_is_removed_by_the_next_and_a_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_UPLOAD_DIR", str(tmp_path))
    live = UploadBook()
    live.put("k", "jiaoyu", "live.pdf", b"x")
    dead = tmp_path / (uploads.PREFIX + "killed")
    dead.mkdir(mode=0o700)
    (dead / uploads.LOCK).write_text("")
    (dead / "left-behind").write_bytes(b"x")
    fd = os.open(live.folder / uploads.LOCK, os.O_WRONLY)
    try:  # the live folder's lock is held
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = False
        except OSError:
            held = True
    finally:
        os.close(fd)
    assert held
    UploadBook().folder  # the next server starts
    assert not dead.exists() and live.folder.exists() and any(live.folder.iterdir())
    assert live.folder.stat().st_mode & 0o777 == 0o700
