"""Pure ASGI middlewares, outermost first in api/app.py."""
