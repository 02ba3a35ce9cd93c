"""The outbox: its rows, the NOTIFY that wakes the relay, operator actions, the slot."""
