"""The bottom layer of 乡风 Xiangfeng: what every other package stands on.

- :mod:`core.errors`    – the one catalogue of messages; ``DataError``, ``UsageError``, ``Problem``
- :mod:`core.model`     – frozen records: ``Village``, ``Round``, ``VillageResult``, ``TownshipRow``
- :mod:`core.config`    – paths and settings (``db_path``), the county defaults
- :mod:`core.constants` – shared constants and helpers: China's bounds, code prefixes, the round-id
  pattern, WGS84

It imports nothing of ``geo``, ``survey``, ``ui`` or the pages (a layout test checks every arrow).
"""
