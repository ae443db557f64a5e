"""The seeded demo world: instances, agents, queues, contacts and their journeys, what
Connect records about them (attributes, references, recordings, evaluations, analyses),
the clock and the lifecycle that moves contacts on, and the events they announce. It
imports only itself."""
