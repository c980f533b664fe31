"""The verifier console: find sellers, read a seller's file, add notes, export lists, see certification statistics."""
