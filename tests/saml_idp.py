"""A SAML identity provider for the tests, built with pysaml2: its own key and certificate and the
portal's, made for the test run, and the portal's SAML settings pointed at it."""

import base64
import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import saml2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig, SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.server import Server

from accounts.saml_settings import service_provider

SITE_URL = "http://testserver"
IDP_ENTITY_ID = "https://idp.example.org/idp/shibboleth"
IDP_SSO_URL = "https://idp.example.org/idp/profile/SAML2/Redirect/SSO"
IDP_SCOPE = "example.org"
# A researcher as her university's identity provider describes her.
ANNA = {
    "eduPersonPrincipalName": ["anna.andersson@example.org"],
    "mail": ["anna.andersson@med.example.org"],
    "givenName": ["Anna"],
    "sn": ["Andersson"],
    "displayName": ["Anna Andersson"],
}
# Another service of the same identity provider: its answers must not log anyone in to the portal.
OTHER_SERVICE = "https://other-service.example.org/shibboleth"


def make_key_and_certificate(directory: Path, name: str) -> tuple[str, str]:
    """A fresh RSA key and a self-signed certificate for it, as PEM files; their paths."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


class TestIdentityProvider:
    """A university's identity provider: answers the portal's login requests for the people it is told."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, directory: Path, *, sso_url: str = IDP_SSO_URL):
        idp_key, idp_cert = make_key_and_certificate(directory, "idp")
        sp_key, sp_cert = make_key_and_certificate(directory, "sp")
        idp = {
            "entityid": IDP_ENTITY_ID,
            "key_file": idp_key,
            "cert_file": idp_cert,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(sso_url, saml2.BINDING_HTTP_REDIRECT)]},
                    "scope": [IDP_SCOPE],
                    "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                    "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                }
            },
        }
        idp_metadata = directory / "idp-metadata.xml"
        idp_metadata.write_text(str(entity_descriptor(_loaded(IdPConfig, idp))))
        self.sp_settings = service_provider(
            site_url=SITE_URL,
            entity_id=f"{SITE_URL}/saml2/metadata/",
            idp_metadata=str(idp_metadata),
            key_file=sp_key,
            cert_file=sp_cert,
        )
        other_service = {**self.sp_settings, "entityid": OTHER_SERVICE}
        services = [str(entity_descriptor(_loaded(SPConfig, sp))) for sp in (self.sp_settings, other_service)]
        self.server = Server(config=_loaded(IdPConfig, {**idp, "metadata": {"inline": services}}))

    def answer(
        self,
        login_redirect: str,
        identity: dict,
        *,
        sign: bool = True,
        encrypt: bool = False,
        audience: str | None = None,
    ) -> dict:
        """The POST the browser carries back to the portal: the identity provider's answer to the login
        request in ``login_redirect`` (the portal's redirect to the IdP), about the person ``identity``;
        ``encrypt`` encrypts the assertion to the portal's certificate (in its metadata), as SWAMID's
        identity providers do; ``audience`` names the service the answer is meant for where not the portal."""
        query = parse_qs(urlsplit(login_redirect).query)
        request = self.server.parse_authn_request(query["SAMLRequest"][0], saml2.BINDING_HTTP_REDIRECT)
        args = self.server.response_args(request.message)
        if audience:
            args["sp_entity_id"] = audience
        response = self.server.create_authn_response(
            identity,
            userid=identity["eduPersonPrincipalName"][0],
            name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text="transient-1"),
            authn={"class_ref": PASSWORD, "authn_auth": IDP_ENTITY_ID},
            sign_response=sign,
            sign_assertion=sign,
            encrypt_assertion=encrypt,
            **args,
        )
        return {
            "SAMLResponse": base64.b64encode(str(response).encode()).decode(),
            "RelayState": query.get("RelayState", [""])[0],
        }


def _loaded(config_class, settings: dict):
    config = config_class()
    config.load(settings)
    return config
