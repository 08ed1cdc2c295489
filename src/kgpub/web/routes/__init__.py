"""Thin HTTP adapters: parse the request, call one core function, format the answer."""
