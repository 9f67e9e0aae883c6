"""What the bench scripts share: their database, and bench/results.json."""

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def merge_results(figures: dict[str, Any]) -> None:
    """Write these figures into bench/results.json, keeping the other scripts' keys (and any of
    ours this run did not measure, given as None)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({key: value for key, value in figures.items() if value is not None})
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
