"""Invoice renderers (SPEC S9): `base` holds the interface every renderer implements, `registry`
picks one per Invoice Type and channel, and each layout has a module of its own."""
