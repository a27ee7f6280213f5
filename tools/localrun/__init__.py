"""The local target: a stack's ECS services, Cloud Map and load balancer, run on this machine
after `cairn up` against the emulator. Entry point: tools/local-run (python3 -m localrun)."""
