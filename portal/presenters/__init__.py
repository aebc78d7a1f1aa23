"""Values a page shows, computed once per item for its template (times, links, words); never markup."""
