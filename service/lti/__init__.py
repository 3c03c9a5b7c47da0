"""LTI 1.3 Advantage: registrations, the tool's key, server-side login state, launches and grades back (AGS).

The protocol itself is ``pylti1p3``'s (OIDC login, id_token validation,
client-credentials tokens, score posting); this package gives it our storage,
our configuration and framework-free adapters. The HTTP routes are ``api.lti``.
"""
