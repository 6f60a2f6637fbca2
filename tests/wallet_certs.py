"""Throwaway certificates shaped like Apple's: a root CA, a WWDR intermediate, and a pass type
certificate (UID = pass type id, OU = team id), plus a Google service account."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASS_TYPE_ID = "pass.test.passgate.tickets"
TEAM_ID = "ABCDE12345"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def _cert(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name,
          issuer_key: rsa.RSAPrivateKey, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                   ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(obj: x509.Certificate | rsa.RSAPrivateKey, password: str | None = None) -> str:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM).decode()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password
        else serialization.NoEncryption())
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption).decode()


@dataclass
class AppleChain:
    root: x509.Certificate
    wwdr: x509.Certificate
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    pass_type_id: str = PASS_TYPE_ID
    team_id: str = TEAM_ID

    def pkcs12(self, password: str) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"pass", self.key, self.cert, None,
            serialization.BestAvailableEncryption(password.encode()))

    def write(self, folder: Path) -> dict[str, Path]:
        """PEM files as a user would have them: root.pem, wwdr.pem, pass.pem, pass.key."""
        files = {"root": folder / "root.pem", "wwdr": folder / "wwdr.pem",
                 "cert": folder / "pass.pem", "key": folder / "pass.key"}
        files["root"].write_text(pem(self.root))
        files["wwdr"].write_text(pem(self.wwdr))
        files["cert"].write_text(pem(self.cert))
        files["key"].write_text(pem(self.key))
        return files


def apple_chain(pass_type_id: str = PASS_TYPE_ID, team_id: str = TEAM_ID) -> AppleChain:
    root_key, wwdr_key, pass_key = _key(), _key(), _key()
    root_name = _name((NameOID.COMMON_NAME, "Throwaway Apple Root CA"),
                      (NameOID.ORGANIZATION_NAME, "passgate tests"))
    wwdr_name = _name((NameOID.COMMON_NAME, "Throwaway WWDR Certification Authority"),
                      (NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
                      (NameOID.ORGANIZATION_NAME, "passgate tests"))
    pass_name = _name((NameOID.USER_ID, pass_type_id),
                      (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_id}"),
                      (NameOID.ORGANIZATIONAL_UNIT_NAME, team_id),
                      (NameOID.ORGANIZATION_NAME, "Example Events Ltd"),
                      (NameOID.COUNTRY_NAME, "GB"))
    root = _cert(root_name, root_key, root_name, root_key, ca=True)
    wwdr = _cert(wwdr_name, wwdr_key, root_name, root_key, ca=True)
    cert = _cert(pass_name, pass_key, wwdr_name, wwdr_key, ca=False)
    return AppleChain(root, wwdr, cert, pass_key, pass_type_id, team_id)


@dataclass
class ServiceAccount:
    email: str
    key: rsa.RSAPrivateKey

    def json(self) -> str:
        return orjson.dumps({
            "type": "service_account", "project_id": "passgate-test",
            "private_key_id": "0123456789abcdef", "private_key": pem(self.key),
            "client_email": self.email, "client_id": "1234567890",
            "token_uri": "https://oauth2.googleapis.com/token",
        }).decode()


def service_account(email: str = "wallet@passgate-test.iam.gserviceaccount.com"
                    ) -> ServiceAccount:
    return ServiceAccount(email, _key())


@cache
def shared_chain() -> AppleChain:
    """One chain for the tests that need any valid one (RSA key generation is slow)."""
    return apple_chain()


SET_APPLE = """mutation($input: SetAppleWalletInput!) { setAppleWallet(input: $input) {
  settings { apple { passTypeId } } } }"""


async def configure_apple(api: Any, chain: AppleChain | None = None) -> AppleChain:
    """Give the api's tenant an Apple identity through GraphQL."""
    chain = chain or shared_chain()
    await api.gql(SET_APPLE, {"input": {
        "passTypeId": chain.pass_type_id, "teamId": chain.team_id,
        "certificate": pem(chain.cert), "privateKey": pem(chain.key),
        "wwdrCertificate": pem(chain.wwdr)}})
    return chain


def tls_server_files(folder: Path, host: str = "localhost") -> dict[str, Path]:
    """A CA and a server certificate for ``host`` (a local HTTPS/HTTP2 test server):
    ``ca`` (trust this), ``cert`` and ``key``."""
    ca_key, key = _key(), _key()
    ca_name = _name((NameOID.COMMON_NAME, "Throwaway Test Server CA"))
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name((NameOID.COMMON_NAME, host))).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = {"ca": folder / "server-ca.pem", "cert": folder / "server.pem",
             "key": folder / "server.key"}
    files["ca"].write_text(pem(ca))
    files["cert"].write_text(pem(cert))
    files["key"].write_text(pem(key))
    return files
