"""Page templates: the Jinja2 environment, its filters, and the backend that renders one block of a page."""
