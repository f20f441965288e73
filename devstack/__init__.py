"""Running hubsense's real services as child processes: the demo stack and the tests."""
