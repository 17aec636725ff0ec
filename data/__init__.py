"""The price layer, the bottom of the pipeline: cache, Yahoo download, CSV import, validation, calendars,
the universe and the aligned price panel, with the shipped TOML files and price snapshot beside them.

Nothing here imports a higher stage (strategies, engine, reports); what every stage needs (errors, atomic
writes, paths) lives here so the imports run one way.
"""
