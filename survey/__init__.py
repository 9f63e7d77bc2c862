"""乡风 Xiangfeng: the domain of the civilized-village assessment (pure Python, no streamlit).

Public modules:

- :mod:`core.config`  – paths and defaults (``db_path``)
- :mod:`core.errors`  – the one catalogue of messages; ``DataError``, ``UsageError``, ``Problem``
- :mod:`core.model`   – frozen records: ``Village``, ``Round``, ``VillageResult``, ``TownshipRow``
- :mod:`survey.rubric`  – the rubric as data: ``load_rubric``
- :mod:`survey.scoring` – exact scoring: ``score``, ``partial``, ``validate_answers``
- :mod:`survey.registry` – village lists: ``read_villages``
- :mod:`survey.submissions` – JSON Lines submissions: ``read_submissions``
- :mod:`survey.store`   – every SQL statement (SQLite through sqlite-utils)
- :mod:`survey.service` – use cases shared by the command line and the pages
- :mod:`survey.targets` – shares, flags, gap planner, rankings
- :mod:`survey.export`  – the provincial CSV pair and its companions
- :mod:`survey.cli`     – ``python -m survey``
"""
