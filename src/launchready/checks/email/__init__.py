"""Stage ``email``: will invites and password resets arrive, and not in spam?

Each check reads one fact gathered from DNS or from a real test send. One module per topic:

- ``spf``: the record, its include tree (lookups, void lookups, ``all``), configured
  sending addresses through ``check_host()``
- ``dkim``: keys per selector (presence, size, testing) and sending services' keys
- ``dmarc``: the policy record, reports, and alignment modes against the senders found
- ``mx``: MX (null MX), MTA-STS, TLS-RPT
- ``send``: the test send (``launchready email test-send``), verified on arrival
"""
