"""What runs an ipamsync step inside Lambda, in four pieces a reader can name:

* :mod:`.observability` — Powertools' Logger, Metrics and (deferred) Tracer, and the correlation id;
* :mod:`.credentials` — the SOLIDserver secret (Secrets Manager) and CA bundle (SSM parameter);
* :mod:`.container` — what one execution environment keeps between invocations (the SOLIDserver
  context, the enrich function's AWS clients), and :func:`~.container.build_context`, the one public
  way to build a sync context from an environment;
* :mod:`.handler` — the Lambda entry shape every function shares: input parsed once into its type,
  one domain call, a shaped output, failures named, counted and logged.
"""
