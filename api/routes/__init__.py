"""Thin routes: parse, call a service function, answer."""
