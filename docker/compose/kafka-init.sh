#!/bin/sh
# One-shot init for docker-compose.yml (runs in the apache/kafka image once the broker is
# healthy): the contract's SCRAM users and ACLs, and the demo topic. Safe to run again.
set -eu
BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
BIN=/opt/kafka/bin

for user in admin alice bob; do
  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=${user}-secret]"
done

# alice and bob: read topics and use groups named <user>.*, and read ftest_* topics with their groups.
for user in alice bob; do
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --add --allow-principal "User:$user" \
    --consumer --topic "$user." --topic ftest_ --group "$user." --resource-pattern-type prefixed
done

"$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
  --topic "${DEMO_TOPIC:-ftest_alerts}" --partitions 2 --replication-factor 1

echo "kafka-init: users admin, alice, bob; ACLs; topic ${DEMO_TOPIC:-ftest_alerts}"
