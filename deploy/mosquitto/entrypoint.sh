#!/bin/sh
# Assemble Mosquitto's password file, then run the broker.
#   /mosquitto/secrets/nodes.passwd      node logins, hashed (mosquitto_passwd), required
#   /mosquitto/secrets/simulator-nodes   plaintext node:password lines, only for the
#                                        simulator profile (optional)
#   COLLECTOR_MQTT_PASSWORD, API_MQTT_PASSWORD   the services' logins
set -eu
run=/mosquitto/run
mkdir -p "$run"
nodes=/mosquitto/secrets/nodes.passwd
if [ ! -s "$nodes" ]; then
    echo "entrypoint: $nodes is missing or empty; create node logins with" \
         "mosquitto_passwd (see docs/deploy.md)" >&2
    exit 2
fi
umask 077
cp "$nodes" "$run/passwd"
mosquitto_passwd -b "$run/passwd" collector "$COLLECTOR_MQTT_PASSWORD"
mosquitto_passwd -b "$run/passwd" api "$API_MQTT_PASSWORD"
sim=/mosquitto/secrets/simulator-nodes
if [ -s "$sim" ]; then
    while IFS=: read -r user pass; do
        [ -n "$user" ] && mosquitto_passwd -b "$run/passwd" "$user" "$pass"
    done < "$sim"
fi
chown -R mosquitto:mosquitto "$run" /mosquitto/data
exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf
