"""The local tooling tree (not shipped): ``ipamsync_local`` and its tests."""
