"""How a hubsense service connects to the broker: its own login, TLS off loopback,
and a packet size it will take.

The broker makes the login the client id (deploy/broker.py), so the client id
given here is the login: what the broker logs is what it enforces.
"""

from __future__ import annotations

import socket
import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hubsense.contract import MAX_PACKET_SIZE
from hubsense.settings import Credentials, MqttSettings

# The largest packet a service takes (told to the broker in CONNECT): twice what
# the broker accepts from anyone, for the properties it may add on the way.
MAX_RECEIVE_PACKET = 2 * MAX_PACKET_SIZE


class Client(mqtt.Client):
    """paho's client, closing the socket of a TLS handshake that failed.

    paho leaves that socket to the garbage collector (which warns), and a
    service that keeps retrying a broker it cannot trust would leak one per try.
    """

    def _ssl_wrap_socket(self, tcp_sock: socket.socket) -> ssl.SSLSocket:
        if self._ssl_context is None:
            raise ValueError("TLS is not set up")
        # make_client() sets CERT_REQUIRED and the host name check on the context itself.
        ssl_sock = self._ssl_context.wrap_socket(tcp_sock, server_hostname=self._host,
                                                 do_handshake_on_connect=False)
        try:
            ssl_sock.settimeout(self._connect_timeout)
            ssl_sock.do_handshake()
        except BaseException:
            ssl_sock.close()
            raise
        return ssl_sock


def make_client(m: MqttSettings, creds: Credentials,
                protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
                client_class: type[Client] = Client, **kwargs: object) -> Client:
    """A paho client logged in as `creds`, with TLS as the settings say."""
    c = client_class(CallbackAPIVersion.VERSION2, client_id=creds.username, protocol=protocol,
                     **kwargs)  # type: ignore[arg-type]
    c.username_pw_set(creds.username, creds.password.get_secret_value())
    if m.tls:
        # CERT_REQUIRED and the host name checked: paho's defaults, said here on purpose.
        c.tls_set(ca_certs=str(m.ca_file) if m.ca_file else None, cert_reqs=ssl.CERT_REQUIRED,
                  tls_version=ssl.PROTOCOL_TLS_CLIENT)
        c.tls_insecure_set(False)
        assert c._ssl_context is not None and c._ssl_context.check_hostname
    return c


def connect_properties(session_expiry_s: int | None = None) -> Properties:
    """CONNECT properties: the largest packet we take, and how long to keep our session."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.MaximumPacketSize = MAX_RECEIVE_PACKET
    if session_expiry_s is not None:
        props.SessionExpiryInterval = session_expiry_s
    return props


def shut(client: mqtt.Client) -> None:
    """Disconnect, end the loop and close every socket paho holds."""
    client.disconnect()
    client.loop_stop()
    release(client)


def release(client: mqtt.Client) -> None:
    """Close a stopped client's socket and paho's wake-up socket pair.

    paho leaves the pair to the garbage collector, which warns (ResourceWarning)
    whenever it gets there first.
    """
    client._reset_sockets()
