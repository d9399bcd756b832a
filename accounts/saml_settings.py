"""The SAML service provider's configuration for pysaml2, built from plain values.

settings.py builds it from the environment and the tests from their own identity provider; this module
imports nothing of Django's, so that settings.py can use it.
"""

import shutil

import saml2
from saml2.saml import NAMEID_FORMAT_TRANSIENT

# What the portal asks the identity provider to release (SWAMID's REFEDS Personalized Access bundle has them all).
REQUIRED_ATTRIBUTES = ["eduPersonPrincipalName", "mail", "givenName", "sn", "displayName"]


def service_provider(
    *, site_url: str, entity_id: str, idp_metadata: str, key_file: str, cert_file: str, metadata_cert: str = ""
) -> dict:
    """The pysaml2 configuration of the portal as a service provider.

    ``idp_metadata`` is an https URL (fetched, and checked against ``metadata_cert`` where given, as a
    federation's signed metadata should be) or the path of a file.
    """
    if idp_metadata.startswith(("https://", "http://")):
        metadata = {"remote": [{"url": idp_metadata, **({"cert": metadata_cert} if metadata_cert else {})}]}
    else:
        metadata = {"local": [idp_metadata]}
    return {
        "entityid": entity_id,
        "metadata": metadata,
        "key_file": key_file,
        "cert_file": cert_file,
        # SWAMID's identity providers encrypt assertions to the certificate in the portal's metadata.
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        # Clocks of the portal and the identity provider may differ by this many seconds.
        "accepted_time_diff": 60,
        # Seconds to wait for the metadata's server; a login waits as long.
        "http_client_timeout": 10,
        "service": {
            "sp": {
                "name": "LU-ATMP portal",
                "endpoints": {
                    "assertion_consumer_service": [(f"{site_url}/saml2/acs/", saml2.BINDING_HTTP_POST)],
                },
                # Shibboleth signs the response, other identity providers the assertion: either will do,
                # an answer with neither is refused.
                "want_response_signed": False,
                "want_assertions_signed": False,
                "want_assertions_or_response_signed": True,
                # Only answers to a request this browser made (no identity-provider-initiated login): an
                # answer cannot be replayed or slipped into someone else's browser.
                "allow_unsolicited": False,
                "authn_requests_signed": False,
                "name_id_format": NAMEID_FORMAT_TRANSIENT,
                "required_attributes": REQUIRED_ATTRIBUTES,
            }
        },
    }
