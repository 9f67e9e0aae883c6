"""Order download from Cdiscount: the mapping of SPEC S5 (mapping.py), the upsert (upsert.py) and
the run over a window of pages (engine.py). Entry points are in channels.services."""
