"""Alerts and digests: subscriptions on watchlists, instant, digest and spike messages
delivered by email (SMTP) or webhook, with their state in the warehouse."""
