"""Bundled data: the default model, sample documents and icons (a package so that
importlib.resources finds it the same way in a checkout, a wheel and a frozen bundle)."""
