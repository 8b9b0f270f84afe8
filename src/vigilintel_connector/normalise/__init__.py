"""Turn upstream's LLM-generated STIX into clean, stable STIX (dict-based, no stix2 objects)."""
