"""The security spine: accounts, sessions, one policy layer, purpose-bound access, field encryption."""
