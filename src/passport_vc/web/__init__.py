"""Server-rendered HTML pages: the same resource URLs as the JSON API, for browsers."""
