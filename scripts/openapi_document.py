"""Write the OpenAPI document api/openapi.py serves (lib/web/openapi.json), built from every route table.

`make openapi` runs it after a change to a route row or a model; `--check` only says whether the file
is current (tests/functions/test_openapi.py fails when it is not). The document depends on the code
alone, not on the settings: a local run writes what a deployment serves.
"""

from __future__ import annotations

import argparse
import os
import sys

# Importing the functions reads the settings; a local run needs none of the deployment's.
os.environ.setdefault("LAUNCHPAD_LOCAL", "1")

from lib.web.openapi import DOCUMENT_PATH


def built() -> bytes:
    # Loaded by path as Vercel loads a function (api/ is no package: mypy checks its files as such).
    from lib.web.functions import ROOT, load_function

    document: bytes = load_function(ROOT / "api/openapi.py").document()
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    args = parser.parse_args()
    document = built()
    current = DOCUMENT_PATH.is_file() and DOCUMENT_PATH.read_bytes() == document
    if args.check:
        if not current:
            print(f"{DOCUMENT_PATH.name} is not current: run `make openapi`", file=sys.stderr)
        return 0 if current else 1
    if not current:
        DOCUMENT_PATH.write_bytes(document)
    print(f"{DOCUMENT_PATH} {'unchanged' if current else 'written'} ({len(document):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
