"""Web plumbing shared by every domain's routes: dependencies, templates, middleware."""
