"""``tongchou official``: official documents (公文) of a project as .docx.

``tongchou official PROJECT --user U`` lists the documents that apply to the
project now (those the user's role may not issue marked as preview only);
``tongchou official PROJECT KIND --user U [--out FILE] [--date D]`` issues
one: it takes the next 文号 of the kind in the issue year, keeps the file with
the project (document store, SM3) and records the issue in the audit chain,
then writes the file (default: ``<project>-<kind>.docx``).  ``--draft``
writes an unnumbered preview and records nothing; anyone who reads the
project may preview.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import official, official_issue
from .cli import CliError, _actor, _date, _id, _open, _print_json


def cmd_official(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        if not args.kind:
            kinds = official.offered(ledger, args.project, actor, args.date)
            if args.json:
                _print_json([{"kind": k, "label": label, "may_issue": ok} for k, label, ok in kinds])
            elif not kinds:
                print(f"project {args.project}: no official document applies now")
            else:
                for kind, label, ok in kinds:
                    print(f"{kind}  {label}" + ("" if ok else "  （仅可预览：--draft）"))
            return 0
        out = Path(args.out or f"{args.project}-{args.kind}.docx")
        if out.exists() and not args.force:
            raise CliError(f"{out} already exists (use --force to replace it)")
        if args.draft:
            data, number = official_issue.draft(ledger, args.project, args.kind, actor, args.date), ""
        else:
            done = official_issue.issue(ledger, args.project, args.kind, actor, args.date)
            data, number = done.data, done.number
        tmp = out.with_name(out.name + ".part")
        try:
            tmp.write_bytes(data)
            tmp.replace(out)  # never a half-written document under the real name
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None
        what = "草稿（未编号）" if args.draft else (f"文号 {number}" if number else "无文号")
        print(f"{args.kind} of project {args.project}: {what}; written to {out} ({len(data)} bytes)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("official", help="official documents of a project (.docx): list them, or issue one "
                                         "(takes the next 文号 and records it; --draft: an unnumbered preview)")
    p.add_argument("project", type=_id)
    p.add_argument("kind", nargs="?", help="e.g. technical_review, rectification_notice, acceptance_opinion; "
                                          "leave out to list what applies")
    p.add_argument("--user", required=True)
    p.add_argument("--out", help="file to write (default: PROJECT-KIND.docx)")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.add_argument("--date", type=_date, help="issue date, and the day findings are looked at (default today)")
    p.add_argument("--draft", action="store_true",
                   help="write an unnumbered preview: no 文号 taken, nothing recorded")
    p.add_argument("--json", action="store_true", help="with no KIND: the list as JSON")
    p.set_defaults(func=cmd_official)
