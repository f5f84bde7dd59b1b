"""Host-side orchestration: start servers from profiles, pin them and locust to cores, run
locust, account for CPU, act on the server when a scenario asks, write the run record."""
