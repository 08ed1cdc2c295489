"""The HTTP layer (FastAPI): the application, routes, error pages and conditional GET."""
