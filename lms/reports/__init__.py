"""Reports: progress per course and per training session, on screen and as CSV."""
