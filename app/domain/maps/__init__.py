"""Maps, comparisons and program reviews over HTTP."""
