"""The common alert and task queue shared by every module."""
