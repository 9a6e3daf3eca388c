"""Adapters that carry a `Delivery` to the outside: e-mail, webhook, SMS. Each `send_*` function
sends once and raises on failure; retries and bookkeeping live in `core.notify` and `core.jobs`."""
