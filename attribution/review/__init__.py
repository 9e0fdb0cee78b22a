"""Review and correct: a local web app over an annotation folder, its decision store, and the
label exports (the team's format and Label Studio's)."""
