"""The live stream's reads: the event feed, which event ids are settled, and stream tickets."""
