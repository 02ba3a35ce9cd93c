"""Test support: fixtures and fakes shared by several test modules."""
