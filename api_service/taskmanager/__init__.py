"""The task manager: every long operation as a flow with a deadline, and the scheduler."""
