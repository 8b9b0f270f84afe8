"""``python -m vigilintel_connector`` is the console script."""

from vigilintel_connector.cli import main

raise SystemExit(main())
