"""The collector: MQTT node messages in, validated points and live state out."""
