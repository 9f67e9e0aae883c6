"""Cdiscount (Octopia Seller API v2): the HTTP client, its typed payloads and its token stores."""
