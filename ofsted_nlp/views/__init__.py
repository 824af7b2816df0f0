"""What an analyst reads, built from finding rows: selection (:mod:`.selection`), the theme matrix
(:mod:`.matrix`), change over time (:mod:`.timeline`), evidence (:mod:`.evidence`), EES tables
(:mod:`.ees`), heatmaps (:mod:`.plots`) and the HTML report (:mod:`.report`)."""
