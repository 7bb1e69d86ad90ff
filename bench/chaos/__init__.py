"""`make chaos`: faults injected at random points while the system works, then the invariants.

The stack is the one ``make run`` starts, except that PostgreSQL and NATS run as processes of
their own (so they can be killed and started again) and ``zhicheng up --restart-exited`` restarts a
service that dies, as a supervisor does in production. docs/chaos.md says what each fault is, and
what an operator does after it.
"""
