"""Sentences to themes and polarity: the model artefact and its numpy scorer (:mod:`.model`,
:mod:`.modelfile`: read side, :mod:`.validation`, :mod:`.scorer`, :mod:`.wordtable`), the codebook's patterns (:mod:`.codebook`), the
layout's polarity rules (:mod:`.tags`), the ``accurate`` ONNX model (:mod:`.accurate`), the model card
(:mod:`.card`) and explanations (:mod:`.explain`)."""
