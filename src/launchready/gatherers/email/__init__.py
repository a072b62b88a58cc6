"""Email deliverability facts: SPF, DKIM, DMARC, MX and a real test send.

Every DNS lookup goes through ``Network.dns`` (see ``dnsio``), so ``--nameserver
HOST:PORT`` reaches every record, include and key, and nothing is cached across
resolvers.
"""
