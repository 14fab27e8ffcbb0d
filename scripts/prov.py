#!/usr/bin/env python3
"""Host provisioning CLI (esp_prov compatible): ``python scripts/prov.py --help``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wifiprov_host.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(prog=os.path.basename(sys.argv[0])))
