"""Stage ``edge``: what a browser meets before the app's own code runs. One module per topic:

- ``basics``: the page answers, plain http redirects to https and stays there, HSTS
- ``cookies``: session cookies are Secure, HttpOnly and declare SameSite
- ``dns``: names resolve, no dangling CNAME, authoritative answers, CAA
- ``redirects``: the redirect map — few hops, no loops, one canonical origin
- ``tls``: certificate and protocol configuration
- ``csp``: Content-Security-Policy
- ``headers``: HSTS details, framing, sniffing, referrers, permissions, COOP/CORP, CORS
- ``content``: what the markup loads (SRI, mixed content)
- ``cache``: no shared cache keeps a signed-in answer; assets cached long
- ``delivery``: speed, compression, a CDN in front

``common`` holds what several of them share (references, the HSTS parser, "not applicable").
"""
