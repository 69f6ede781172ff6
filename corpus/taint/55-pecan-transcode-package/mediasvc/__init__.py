"""Media transcoding service (Pecan application)."""
