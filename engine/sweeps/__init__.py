"""Parameter sweeps: a spec expands to variants (``spec``), chunks run in processes or on Dask
(``execute``), each chunk is simulated vectorized (``evaluate``, ``fast``) and scored (``metrics``);
``sweep`` ties it together."""
