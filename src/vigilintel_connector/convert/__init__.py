"""Other VigilIntel artefacts (the daily JSON report) converted to the same clean STIX."""
