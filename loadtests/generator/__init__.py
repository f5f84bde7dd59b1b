"""The load generator: the code that runs inside locust (user classes, the shape that plays a
scenario's plan, event listeners, payloads, body checks). Light imports only: locust,
pydantic and the serving contract (shared.schema); never the model stack or server code."""
