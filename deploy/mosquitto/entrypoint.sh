#!/bin/sh
# Run Mosquitto with what `hubsense broker render` wrote (the broker-config service):
# copied into the container and made the broker's own, so the private key and the
# password file are readable by the broker alone.
set -eu
run=/mosquitto/run
umask 077
mkdir -p "$run"
cp /broker/mosquitto.conf /broker/acl /broker/passwd /broker/server.crt /broker/server.key "$run/"
chown -R mosquitto:mosquitto "$run" /mosquitto/data
exec /usr/sbin/mosquitto -c "$run/mosquitto.conf"
