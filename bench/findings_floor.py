"""The floor of ``tongchou findings --json`` (see bench/findings_cli.py):
``python bench/findings_floor.py STATEMENTS.json``.  A bare interpreter that
opens the database with the driver alone, runs the recorded statements and
prints every row as JSON.  It imports nothing of Tongchou on purpose."""
import json
import sys


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    url = spec["url"]
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2
        conn = psycopg2.connect(url)
    else:
        import sqlite3
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    cur = conn.cursor()
    rows = []
    for sql, params in spec["statements"]:
        cur.execute(sql, params) if params is not None else cur.execute(sql)
        rows.append(cur.fetchall())
    conn.close()
    sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
