"""``ipamsync bench``: the benchmarks the README and docs/benchmarks.md cite.

* :mod:`.sections` — the registry: which sections exist, in which order, and what a section module
  provides (``measure``, ``report``, ``summary``, ``targets``, ``headline``);
* :mod:`.cli` — the command; :mod:`.results` — bench/results.json, the generated part of the docs
  and the README table; :mod:`.fmt` — tables rendered as text and markdown;
* sections: :mod:`.calls` (with :mod:`.calls_model`), :mod:`.throughput` (with :mod:`.profile`,
  :mod:`.usage`, :mod:`.client_cpu`), :mod:`.coldstart`, :mod:`.cost` (with :mod:`.prices`),
  :mod:`.emulator_bench`, :mod:`.soak`;
* shared: :mod:`.pipeline` (driving and observing the local pipeline), :mod:`.names` (the product
  names the benchmarks depend on).
"""
