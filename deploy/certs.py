"""The site's own certificate authority, and the server certificate it signs.

A hub's network has no public DNS name a public CA would vouch for, and its
nodes cannot fetch a CA bundle: each node carries the site CA (`ca.der`, 400
bytes) and checks the broker's and the API's certificate against it
(MicroPython's `tls.SSLContext`, CERT_REQUIRED). EC P-256 keys: an ESP32
verifies them faster than RSA and the certificates stay small.

Files in the TLS directory (`hubsense tls init`, docs/security.md):
  ca.crt, ca.der  the CA certificate (PEM for servers and browsers, DER for nodes)
  ca.key          the CA's key (0600): only `hubsense tls` reads it; keep it offline
  server.crt      the broker's and the reverse proxy's certificate, with the site's names
  server.key      its key (0600)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hubsense.files import private_dir, write_private

CA_DAYS = 3650
# Browsers refuse server certificates valid for more than 825 days (398 for a
# public CA); renew with `hubsense tls renew` well before (docs/security.md).
SERVER_DAYS = 825
# Names a server certificate always carries: the compose service names, so
# services inside the compose network verify the broker as nodes outside do.
ALWAYS = ("localhost", "mosquitto", "127.0.0.1", "::1")


class CertError(ValueError):
    """Certificates that cannot be made or used; the message says what to do."""


@dataclass(frozen=True)
class TlsFiles:
    """Where one site's TLS material lives."""

    dir: Path

    @property
    def ca_crt(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_der(self) -> Path:
        return self.dir / "ca.der"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def server_crt(self) -> Path:
        return self.dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.dir / "server.key"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def create_ca(files: TlsFiles, site: str) -> x509.Certificate:
    """Make the site CA; refuses to overwrite one (every node trusts it)."""
    if files.ca_key.exists() or files.ca_crt.exists():
        raise CertError(f"{files.dir} already holds a site CA; nodes trust it, so it is "
                        f"never replaced silently (remove it by hand to start over)")
    private_dir(files.dir)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"hubsense {site} site CA"[:64])])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    write_private(files.ca_key, _pem_key(key))
    files.ca_crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.ca_der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return cert


def _load_ca(files: TlsFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        cert = x509.load_pem_x509_certificate(files.ca_crt.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    except OSError as exc:
        raise CertError(f"{files.dir}: no site CA ({exc.strerror}); run `hubsense tls init`"
                        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertError(f"{files.ca_key}: not an EC key made by hubsense")
    return cert, key


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for n in dict.fromkeys([*names, *ALWAYS]):  # ordered, without repeats
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def issue_server_cert(files: TlsFiles, names: list[str],
                      days: int = SERVER_DAYS) -> x509.Certificate:
    """Sign a server certificate for `names` (host names and addresses nodes and
    browsers use to reach the hub), replacing the previous one."""
    for n in names:
        if not (_is_ip(n) or _HOST_RE.fullmatch(n)):
            raise CertError(f"{n!r} is not a host name or an IP address")
    ca, ca_key = _load_ca(files)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    first = names[0] if names else "localhost"
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first[:64])]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(min(now + dt.timedelta(days=days), ca.not_valid_after_utc))
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    write_private(files.server_key, _pem_key(key))
    tmp = files.server_crt.with_suffix(".tmp")
    tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp, files.server_crt)
    return cert


_HOST_RE = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*")


def _is_ip(n: str) -> bool:
    try:
        ipaddress.ip_address(n)
    except ValueError:
        return False
    return True


def server_names(files: TlsFiles) -> list[str]:
    """The names the current server certificate is valid for."""
    cert = x509.load_pem_x509_certificate(files.server_crt.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(v) for v in san.get_values_for_type(x509.DNSName)] + \
        [str(v) for v in san.get_values_for_type(x509.IPAddress)]


def expires(path: Path) -> dt.datetime:
    return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc
