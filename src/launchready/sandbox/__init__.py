"""The sandbox: real protocol peers on 127.0.0.1 for the demo and the tests.

A DNS server serving zones as data, a test CA with HTTPS/HTTP servers, an SMTP receiver,
and a deliberately flawed demo admin app with its git repository.
"""
