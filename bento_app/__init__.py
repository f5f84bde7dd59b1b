"""The BentoML 1.4 service over the shared model core."""
