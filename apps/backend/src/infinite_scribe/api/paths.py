"""URL paths shared by the app and its routes."""

API_PREFIX = "/api/v1"
