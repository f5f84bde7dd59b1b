"""Tests of loadtests.scenarios, one module per scenario module.

A package, so that their module names (scenarios.test_rollout) cannot clash with test modules
of the same base name elsewhere under tests/ (tests/loadtests/test_rollout.py); it also puts
tests/loadtests on sys.path, where the fixture builders (fixtures.py) are.
"""
