"""Entry point where OpenCTI's connectors repository expects it: ``python src/main.py`` runs the
connector (``vigilintel-connector run``); arguments, if any, go to the command line instead."""

import sys

from vigilintel_connector.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["run"]))
