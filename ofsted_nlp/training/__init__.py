"""Labels to a model: the labels and their corpus (:mod:`.labels`, :mod:`.dataset`), authority-grouped
splits (:mod:`.splits`), scikit-learn's features and fitting (:mod:`.features`, :mod:`.estimators`, :mod:`.fit`), the export of
fitted estimators to the model's artefact and its file (:mod:`.export`), scores
(:mod:`.evaluation`) and the teacher (:mod:`.teacher`). Tagging never imports this subpackage."""
