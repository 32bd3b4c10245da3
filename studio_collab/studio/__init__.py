"""Where am I: the Studio context, the one AWS client seam and the one cache."""
