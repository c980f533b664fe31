"""Content files: pure parsers for courses/ and quizzes/, and the import/export pipeline."""
