"""The relay's SQL: claiming head-of-line chains and the live relays' shares of the keys."""
