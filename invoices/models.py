"""Per-channel invoice preferences and invoice numbering (SPEC S9): models come with their issue."""
