"""How long the guest agent waits for its engine, in seconds, and what that makes a restart's
worst case.

Shared with the service's RPC client (rpc/guest_client.py), which must wait for a restart at
least as long as the agent may take: a client that gives up first marks the instance failed
while the agent still finishes (possibly by falling back to the previous configuration).
Nothing here imports anything, so the client takes no engine code with it.
"""

# A clean stop (SIGTERM / SIGINT) before the agent kills the engine.
STOP = 30
# The engine's death after SIGKILL.
KILL = 10
# Leftover engine processes (a crash's orphans) killed before each start and after each stop.
LEFTOVERS = 10
# The engine answering after it was spawned.
START = 30

# stop(): the clean stop, the kill, the leftovers.
STOP_WORST = STOP + KILL + LEFTOVERS
# start(): the leftovers, then the engine answering.
START_WORST = LEFTOVERS + START
# restart(): a stop, a start, and the start again with the previous configuration values when
# the engine exited with the new ones (overrides.py; the exited engine needs no stop).
RESTART_WORST = STOP_WORST + 2 * START_WORST
