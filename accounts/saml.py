"""University login over SAML 2.0 (djangosaml2): whether it is on, its loaded configuration, and how an
identity provider's answer becomes a portal account."""

import copy
import logging
import threading
import time

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from djangosaml2.backends import Saml2Backend
from saml2.config import SPConfig

from atmp_portal.auth_backends import SignedInUserWithRoles

logger = logging.getLogger(__name__)

# The identity provider's metadata is loaded again after this long (a federation re-signs it every few days).
METADATA_MAX_AGE = 3600

_lock = threading.Lock()
_loaded = {}


def enabled() -> bool:
    """Whether the portal offers university login (SAML_IDP_METADATA is set)."""
    return bool(settings.SAML_CONFIG)


class MetadataUnavailable(Exception):
    """The identity provider's metadata could not be loaded (its server down, the file missing, a bad
    signature), and there is no earlier copy."""


def load_config(request=None) -> SPConfig:
    """The service provider's configuration with the identity provider's metadata, loaded at most once an
    hour per process: djangosaml2 asks for it on every SAML request, and a federation's metadata is large.
    Where loading it again fails, the copy loaded before serves another hour."""
    with _lock:
        config, loaded_at = _loaded.get("entry", (None, 0.0))
        if config is None or time.monotonic() - loaded_at > METADATA_MAX_AGE:
            try:
                config = SPConfig()
                config.load(copy.deepcopy(settings.SAML_CONFIG))
            except Exception as error:  # pysaml2 raises many kinds, from the network to XML parsing
                if "entry" not in _loaded:
                    raise MetadataUnavailable from error
                config = _loaded["entry"][0]
                logger.warning("The identity provider's metadata could not be loaded again; keeping the copy")
            _loaded["entry"] = (config, time.monotonic())
        return config


@receiver(setting_changed)
def _forget_config(setting, **kwargs):
    if setting == "SAML_CONFIG":
        with _lock:
            _loaded.clear()


class UniversityAccountBackend(SignedInUserWithRoles, Saml2Backend):
    """Logs in the person an identity provider vouches for, by eduPersonPrincipalName, and creates their
    account (without a usable local password) on their first login. Name and e-mail follow the
    identity provider's attributes at every login (settings.SAML_ATTRIBUTE_MAPPING)."""

    def clean_attributes(self, attributes: dict, idp_entityid: str, **kwargs) -> dict:
        # Some identity providers release only displayName: it then stands in as the whole name.
        if attributes.get("displayName") and not (attributes.get("givenName") or attributes.get("sn")):
            return {**attributes, "givenName": attributes["displayName"]}
        return attributes

    def clean_user_main_attribute(self, main_attribute):
        # eduPersonPrincipalName compares without case: Anna@LU.se and anna@lu.se are one person.
        return main_attribute.strip().lower() if main_attribute else main_attribute

    def is_authorized(self, attributes, attribute_mapping, idp_entityid, assertion_info, **kwargs) -> bool:
        """An identity provider speaks only for its own scopes (shibmd:Scope in its metadata): in a
        federation's metadata, another university's identity provider cannot log in anna@lu.se."""
        principal = (attributes.get("eduPersonPrincipalName") or [""])[0]
        domain = principal.rpartition("@")[2].lower()
        scopes = load_config().metadata.shibmd_scopes(idp_entityid, "idpsso_descriptor")
        return not scopes or any(_in_scope(domain, scope) for scope in scopes)


def _in_scope(domain: str, scope: dict) -> bool:
    if scope["regexp"]:
        return scope["text"].fullmatch(domain) is not None
    return domain == scope["text"].lower()
