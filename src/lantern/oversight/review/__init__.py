"""Audit review: findings over the audit log for auditors."""
