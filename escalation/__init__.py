"""The domain core: pure rules, no I/O. Time is always a parameter."""
