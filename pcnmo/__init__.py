"""The shared core of pcnmo: settings, the NHS calendar, the extract contracts and the analysts'
published copy. It imports nothing else of the project and does nothing at import."""
