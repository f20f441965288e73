#!/bin/sh
# Runs once, as InfluxDB's admin, at its first start (docker-entrypoint-initdb.d):
# how long raw observations are kept (RAW_RETENTION_DAYS; the services read the same
# variable as influx.raw_retention_days). Rollups live in their own policy, for good.
# To change it later: docker-compose exec influxdb sh /docker-entrypoint-initdb.d/retention.sh
set -eu
days="${RAW_RETENTION_DAYS:-400}"
influx -username "$INFLUXDB_ADMIN_USER" -password "$INFLUXDB_ADMIN_PASSWORD" -execute \
    "ALTER RETENTION POLICY \"autogen\" ON \"${INFLUXDB_DB}\" DURATION ${days}d"
