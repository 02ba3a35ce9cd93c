"""The API's pure ASGI middlewares (the order is in api/app.py)."""
