"""Names resolved against the field's catalogs (the MISP galaxies, bundled in their package)."""
