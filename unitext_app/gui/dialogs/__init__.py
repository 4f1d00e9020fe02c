"""Dialogs: settings, export, and the start-up recovery question."""
