"""Outgoing e-mail: a database outbox and an SMTP delivery job."""
