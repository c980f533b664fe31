"""Assessment: question banks, attempts and scoring."""
