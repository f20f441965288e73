#!/bin/sh
# Run Mosquitto with what `hubsense broker render` wrote (the broker-config service):
# copied into the container and made the broker's own, so the private key and the
# password file are readable by the broker alone.
#   sh /entrypoint.sh reload   (docker-compose exec mosquitto …): take the logins and the
#   ACL the broker-config step wrote again, without a restart (SIGHUP): new logins work at
#   once, and a connection whose login is gone or changed is dropped.
set -eu
run=/mosquitto/run
umask 077
mkdir -p "$run"
if [ "${1:-}" = reload ]; then
    cp /broker/acl /broker/passwd "$run/"
    chown mosquitto:mosquitto "$run/acl" "$run/passwd"
    kill -HUP 1
    echo "mosquitto: logins and ACL reloaded"
    exit 0
fi
cp /broker/mosquitto.conf /broker/acl /broker/passwd /broker/server.crt /broker/server.key "$run/"
chown -R mosquitto:mosquitto "$run" /mosquitto/data
exec /usr/sbin/mosquitto -c "$run/mosquitto.conf"
