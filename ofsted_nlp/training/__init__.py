"""Labels to a model: the labels and their corpus (:mod:`.labels`, :mod:`.dataset`), authority-grouped
splits (:mod:`.splits`), scikit-learn's features and fitting (:mod:`.features`, :mod:`.fit`), scores
(:mod:`.evaluation`) and the teacher (:mod:`.teacher`). Tagging never imports this subpackage."""
