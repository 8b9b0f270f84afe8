"""Entry point where OpenCTI's connectors repository expects it: ``python src/main.py`` runs the
connector (``vigilintel-connector run``); arguments, if any, go to the command line instead.

pycti's helper ends the process without a traceback on an uncaught exception: print it first.
"""

import sys
import traceback

from vigilintel_connector.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:] or ["run"]))
    except Exception:
        traceback.print_exc()
        sys.exit(1)
